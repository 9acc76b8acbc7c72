"""The Streamlit explorer: pages, session state and the cached runners behind `app.py`.

The page modules (`scenario_page`, `results_page`, ...) turn widgets into overrides and calls of the
experiment layer and show what comes back; they hold no model logic and no validation. The plain
helpers they use live next to them (`theory`, `source`, `figures`) or in `sim.scenario.levers` and
`sim.output`, and import no Streamlit, so they are tested without it. Importing this package imports
nothing, which keeps worker processes free of Streamlit.
"""

