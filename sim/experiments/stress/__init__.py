"""Stress tests: named shocks (``shocks``) played on a base scenario under common random numbers
(``plan``), and the judgement of when targets break and recover (``analysis``)."""
