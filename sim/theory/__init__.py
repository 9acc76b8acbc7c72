"""Analytic values the simulation is checked against: Erlang B/C/A, M/M/c/K, base-stock, (r,Q)
and slow retrials. Pure functions of numbers; imports no other layer.

Public face: the formulas of ``sim.theory.queues``, ``sim.theory.stock`` and ``sim.theory.retrial``
(imported from those modules).
"""
