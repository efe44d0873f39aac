"""The only package that imports streamlit: session state, login, navigation, generic pages."""
