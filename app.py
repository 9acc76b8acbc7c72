"""The Streamlit explorer of aftersales-sim: `make app` (binds 127.0.0.1).

Everything lives in the installed package (`sim.explorer`), so functions sent to worker
processes pickle by their module name. Streamlit runs this file as `__main__`; worker processes
started with `spawn` import it again as `__mp_main__`, hence the guard (and the import inside
it, so workers do not load Streamlit).
"""

if __name__ == "__main__":
    from sim.explorer.app import main

    main()
