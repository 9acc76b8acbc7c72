"""aftersales-sim: a discrete-event simulation of an after-sales service company.

The packages are layers; each imports only those below it (checked by ``lint-imports``):

- ``sim.scenario``: the scenario format, its defaults, the loader and located errors;
- ``sim.theory``: queueing and stock formulas the model is checked against;
- ``sim.engine``: the SimPy model, ``simulate(scenario, seed) -> Replication`` (flat records);
- ``sim.measure``: records -> KPIs (one formula per KPI, beside its catalogue entry), daily
  series, costs; statistics over replications;
- ``sim.experiments``: replications on executors, sweeps, comparisons, stress, optimization;
- ``sim.output``: results folders, charts, the budget pack;
- ``sim.calibrate``: event logs out of the model, fitted scenarios in from a company's logs;
- ``sim.cli`` and ``sim.explorer``: the command line and the Streamlit explorer.

``sim.units`` (time units, imported by every layer) is the one module outside a package.
"""
