from graphviz_bp.cli import main

main(prog_name="graphviz-bp")
