# Every figure: one rule fig_<name> per entry of workflow/figures.yaml (figure -> notebook, tables,
# config parameters, fixed values), in the order of that table; one notebook may draw several figures. A rule runs the notebook through `bigbadminima notebook`
# with the tables (and parameters) as papermill parameters; the notebook only loads tables and plots.

FIGURES = load_figure_table(Path(workflow.basedir))

for _figure in FIGURES:

    rule:
        name:
            f"fig_{_figure['name']}"
        input:
            **_figure["tables"],
            source=f"workflow/notebooks/fig_{_figure['notebook']}.py",
        output:
            executed=f"results/notebooks/fig_{_figure['name']}.ipynb",
            html=report(
                f"results/notebooks/fig_{_figure['name']}.html",
                caption="../report/notebook.rst",
                category=_figure["report_category"],
                labels={"figure": _figure["report_label"], "kind": "executed notebook"},
            ),
            png=report(
                f"results/figures/{_figure['name']}.png",
                caption=f"../report/{_figure['name']}.rst",
                category=_figure["report_category"],
                labels={"figure": _figure["report_label"], "kind": "figure"},
            ),
            pdf=f"results/figures/{_figure['name']}.pdf",
        log:
            f"results/logs/fig_{_figure['name']}.log",
        benchmark:
            f"results/benchmarks/fig_{_figure['name']}.tsv"
        threads: 1
        conda:
            CONDA_ENV
        params:
            # fixed now: a shell: expression in this loop would be evaluated when the job runs
            notebook=notebook_parameters(_figure),
        shell:
            "bigbadminima notebook {input.source} --executed {output.executed} --html {output.html} "
            "--threads {threads} {params.notebook} > {log} 2>&1"

    ALL_TARGETS.extend(getattr(rules, f"fig_{_figure['name']}").output)
