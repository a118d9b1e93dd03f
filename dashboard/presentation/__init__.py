"""How the console shows things: text for every kind of value, table column specs, the chart palette.

No Streamlit here: `dashboard/ui/tables.py` draws tables from these specs, and each domain's
`charts.py` builds Plotly figures with `palette`.
"""
