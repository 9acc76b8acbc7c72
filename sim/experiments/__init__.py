"""The experiment layer: the questions planners ask, answered with replications.

Owns ``replicate`` (one seed per replication from the run's seed, common random numbers across
scenarios), the executors (in-process, a process pool, Dask), the replication stores, sequential
precision, the warm-up suggestion, sweeps, paired comparisons, stress tests, the optimizer, and
the KPIs of any window, day or period of a run already made (from its KPI ledger).
It reaches the engine only through ``simulate`` and measures through ``sim.measure``; writing
folders is ``sim.output``'s job.

Public face: ``replicate``, ``replicate_many``, ``RunResult`` (``sim.experiments.replicate``); each
experiment's entry lives in its own module (``compare.compare``, ``sweep.run_sweep``,
``stress.plan.run_stress``, ``optimize.solve.optimize``, ``precision.replicate_to_precision``,
``warmup.suggest_warmup``, ``windows.window_summary``); ``verdicts.judged`` turns any table of
replications into its summary and target verdicts.
"""
