"""Page scripts run by `st.navigation`; each calls its page module's `render()`."""
