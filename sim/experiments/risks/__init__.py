"""The risk register: risks of the operating manual (market, technical, quality, personnel,
legal) each played as a stress shock on the base company (``register``: the file and its plan),
their impact against the base under common random numbers, expected yearly impact and the
responses' paired effect (``impact``, pure), and running it all (``run``)."""
