"""One participant's frames from an engine export: results/frames/{participant}.parquet."""
import sys; sys.stderr = open(snakemake.log[0], "w", buffering=1)  # noqa: E702

from mimicry.extract import write_frames
from mimicry.importers import read_export

participant, engine = snakemake.wildcards.participant, snakemake.params.engine
frames = read_export(snakemake.input.export, engine, participant, fps=snakemake.params.fps)
write_frames(frames, snakemake.output[0], {"participant_id": participant, "frames_source": engine,
                                           "export": snakemake.input.export})
print(f"participant {participant}: {len(frames)} frames from {engine} export {snakemake.input.export}, "
      f"{int(frames['face'].sum())} with a face", file=sys.stderr)
