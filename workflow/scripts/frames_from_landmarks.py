"""Score one participant's landmarks (absolute, or against their neutral frames): results/frames/{participant}.parquet."""
import sys; sys.stderr = open(snakemake.log[0], "w", buffering=1)  # noqa: E702

from mimicry import sheets
from mimicry.extract import frames_from_landmarks

participant = snakemake.wildcards.participant
sheet = sheets.read_stimuli(snakemake.input.stimuli)
frames = frames_from_landmarks(snakemake.input.landmarks, sheet[sheet["participant_id"] == participant],
                           snakemake.params.models_dir, snakemake.output[0],
                           emotion_source=snakemake.params.emotion_source,
                           neutral_correction=snakemake.params.neutral_correction)
print(f"participant {participant}: {len(frames)} frames, {int(frames['face'].sum())} with a face", file=sys.stderr)
