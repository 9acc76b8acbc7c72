"""The optimizer: the cheapest decision whose KPIs meet every target with confidence.

``decisions`` says what a ``--decide`` path means, ``start`` gives the analytic starting point,
``evaluate`` simulates a decision under common random numbers, ``moves`` repairs and descends,
and ``solve.optimize`` runs the search.
"""
