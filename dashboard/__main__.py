from dashboard.cli import app

app(prog_name="python -m dashboard")
