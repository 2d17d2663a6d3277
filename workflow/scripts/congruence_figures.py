"""Congruent vs incongruent time courses per test, and forest plots of the congruence effect and its EQ
moderation (PNG + PDF). A figure without any participant's data says so in words instead."""
import sys

sys.stderr = open(snakemake.log[0], "w", buffering=1)


from mimicry import plots
from mimicry.analysis import congruence, notes
from mimicry.tables import read_keyed, read_trial_means

p, out = snakemake.params, snakemake.output
column = p.congruence["response"]
tests = congruence.tests(p.congruence["mapping"], p.congruence["contrasts"])
reactions = {r for test in tests for r in test["reactions"]}
trials = read_trial_means(snakemake.input.trials, column, reactions, by=("stimulus_emotion", "bin_start_ms"))
courses = congruence.congruence_timecourses(trials, tests, column)
models = read_keyed(snakemake.input.models)
unit = "z within participant and reaction" if column == "response_z" else "points, 0-100 scale"
note = notes.shortfall(courses["participant_id"].nunique(), 1, "this figure", notes.usable(p.max_grade))
titles = {t["test"]: f"{t['test']}: {', '.join(t['reactions'])}" for t in tests}
figures = {
    "timecourses": (lambda: plots.congruence_timecourses(courses, titles, f"baseline-corrected response ({unit})",
                                                          p.confidence), "Congruent vs incongruent time courses"),
    "forest": (lambda: plots.congruence_forest(models, {
        ("congruence", "congruence"): f"congruence effect ({unit})",
        ("congruence_x_eq", "congruence:eq_z"): "congruence x EQ (per SD of EQ)"}), "Congruence effects"),
}
for name, (draw, title) in figures.items():
    fig = plots.note_figure(note, title) if note else draw()
    for path in (out[name], out[f"{name}_pdf"]):
        plots.save_figure(fig, path)
print(f"figures of {courses['participant_id'].nunique()} participants{': ' + note if note else ''}", file=sys.stderr)
