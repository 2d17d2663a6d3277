# The embedded demo study: seeded sheets (and, later, rendered videos) under demo.outdir.


rule demo_cohort:
    output:
        **{name: path for name, path in SHEETS.items()},
        latent_eq=f"{config['demo']['outdir']}/latent_eq.tsv",
    params:
        demo=config["demo"],
    conda:
        "../../environment.yml"
    log:
        "results/logs/demo_cohort.log",
    script:
        "../scripts/demo_cohort.py"
