"""Page script of the explorer (run by `st.navigation`): the Optimize page."""

from sim.explorer.optimize_page import render

if __name__ == "__main__":  # Streamlit runs page scripts as __main__; an import renders nothing
    render()
