"""MediaPipe's face-blendshape network (the Face Landmarker's ``face_blendshapes.tflite``) in PyTorch.

Input: the pixel coordinates (x * image width, y * image height) of the ``LANDMARK_SUBSET`` of the Face
Landmarker's 478 landmarks, (N, 146, 2). The network centres them and divides by their mean distance
from the centre (position and size drop out; the aspect ratio and in-plane rotation do not), projects
the 146 points to 96 tokens and the 2 coordinates to 64 channels, prepends a learned token, runs four
MLP-Mixer blocks (bias-free LayerNorm, token MLP 97 -> 384 -> 97, channel MLP 64 -> 256 -> 64, ReLU)
and reads 52 sigmoid scores (0-1) from the learned token: ``BLENDSHAPES`` (``_neutral`` then the 51
ARKit blendshapes).

``convert`` reads the weights (fp16 in the file, exact in fp32) from the TFLite flatbuffer with the
pure-Python ``tflite`` package, walking the graph's operators in order and checking each one's type and
shape, so a different model file fails loudly instead of loading wrong.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch import nn

#: Landmarks fed to the network (kLandmarksSubsetIdxs of MediaPipe's face_blendshapes_graph.cc), in order.
LANDMARK_SUBSET = (
    0, 1, 4, 5, 6, 7, 8, 10, 13, 14, 17, 21, 33, 37, 39, 40, 46, 52, 53, 54, 55, 58, 61, 63, 65, 66, 67,
    70, 78, 80, 81, 82, 84, 87, 88, 91, 93, 95, 103, 105, 107, 109, 127, 132, 133, 136, 144, 145, 146, 148,
    149, 150, 152, 153, 154, 155, 157, 158, 159, 160, 161, 162, 163, 168, 172, 173, 176, 178, 181, 185,
    191, 195, 197, 234, 246, 249, 251, 263, 267, 269, 270, 276, 282, 283, 284, 285, 288, 291, 293, 295,
    296, 297, 300, 308, 310, 311, 312, 314, 317, 318, 321, 323, 324, 332, 334, 336, 338, 356, 361, 362,
    365, 373, 374, 375, 377, 378, 379, 380, 381, 382, 384, 385, 386, 387, 388, 389, 390, 397, 398, 400,
    402, 405, 409, 415, 454, 466, 468, 469, 470, 471, 472, 473, 474, 475, 476, 477,
)
N_POINTS = len(LANDMARK_SUBSET)
#: Output names, in the network's order (kBlendshapeNames of face_blendshapes_graph.cc).
BLENDSHAPES = (
    "_neutral", "browDownLeft", "browDownRight", "browInnerUp", "browOuterUpLeft", "browOuterUpRight",
    "cheekPuff", "cheekSquintLeft", "cheekSquintRight", "eyeBlinkLeft", "eyeBlinkRight", "eyeLookDownLeft",
    "eyeLookDownRight", "eyeLookInLeft", "eyeLookInRight", "eyeLookOutLeft", "eyeLookOutRight",
    "eyeLookUpLeft", "eyeLookUpRight", "eyeSquintLeft", "eyeSquintRight", "eyeWideLeft", "eyeWideRight",
    "jawForward", "jawLeft", "jawOpen", "jawRight", "mouthClose", "mouthDimpleLeft", "mouthDimpleRight",
    "mouthFrownLeft", "mouthFrownRight", "mouthFunnel", "mouthLeft", "mouthLowerDownLeft",
    "mouthLowerDownRight", "mouthPressLeft", "mouthPressRight", "mouthPucker", "mouthRight",
    "mouthRollLower", "mouthRollUpper", "mouthShrugLower", "mouthShrugUpper", "mouthSmileLeft",
    "mouthSmileRight", "mouthStretchLeft", "mouthStretchRight", "mouthUpperUpLeft", "mouthUpperUpRight",
    "noseSneerLeft", "noseSneerRight",
)
TOKENS, CHANNELS, TOKEN_HIDDEN, CHANNEL_HIDDEN, BLOCKS = 96, 64, 384, 256, 4


class BiasFreeLayerNorm(nn.Module):
    """LayerNorm over the last axis with a learned scale and no bias (as the TFLite graph computes it)."""

    def __init__(self, size: int, eps: float):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(size))
        self.eps = eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        mean = x.mean(-1, keepdim=True)
        var = (x - mean).square().mean(-1, keepdim=True)
        return (x - mean) * (torch.rsqrt(var + self.eps) * self.weight)


def _mlp(size: int, hidden: int) -> nn.Sequential:
    return nn.Sequential(nn.Linear(size, hidden), nn.ReLU(), nn.Linear(hidden, size))


class MixerBlock(nn.Module):
    """x + token_mlp(norm(x)) over the tokens, then x + channel_mlp(norm(x)) over the channels."""

    def __init__(self, tokens: int, eps: float):
        super().__init__()
        self.token_norm, self.token_mlp = BiasFreeLayerNorm(CHANNELS, eps), _mlp(tokens, TOKEN_HIDDEN)
        self.channel_norm, self.channel_mlp = BiasFreeLayerNorm(CHANNELS, eps), _mlp(CHANNELS, CHANNEL_HIDDEN)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (N, tokens, channels)
        x = x + self.token_mlp(self.token_norm(x).transpose(1, 2)).transpose(1, 2)
        return x + self.channel_mlp(self.channel_norm(x))


class BlendshapeNet(nn.Module):
    """(N, 146, 2) landmark pixels -> (N, 52) blendshape scores 0-1 (``BLENDSHAPES``)."""

    def __init__(self, eps: float = 1e-6, input_scale: float = 0.5):
        super().__init__()
        self.input_scale = input_scale
        self.point_proj = nn.Linear(N_POINTS, TOKENS)
        self.coord_proj = nn.Linear(2, CHANNELS)
        self.token = nn.Parameter(torch.zeros(1, 1, CHANNELS))
        self.blocks = nn.Sequential(*(MixerBlock(TOKENS + 1, eps) for _ in range(BLOCKS)))
        self.head = nn.Linear(CHANNELS, len(BLENDSHAPES))

    def forward(self, points: torch.Tensor) -> torch.Tensor:
        x = points - points.mean(1, keepdim=True)
        x = x / x.norm(dim=2, keepdim=True).mean(1, keepdim=True) * self.input_scale
        x = self.coord_proj(self.point_proj(x.transpose(1, 2)).transpose(1, 2))   # (N, 96, 64)
        x = self.blocks(torch.cat([self.token.expand(len(x), -1, -1), x], dim=1))
        return torch.sigmoid(self.head(x[:, 0]))


# --- conversion from the TFLite file -------------------------------------------------------------------

def _tflite_graph(path):
    """(operators as [(name, input tensor ids, output ids)], constant(tensor id) -> np.ndarray or None)."""
    import tflite

    model = tflite.Model.GetRootAsModel(Path(path).read_bytes(), 0)
    graph = model.Subgraphs(0)
    op_names = {v: k for k, v in vars(tflite.BuiltinOperator).items() if not k.startswith("_")}
    dtypes = {tflite.TensorType.FLOAT32: np.float32, tflite.TensorType.FLOAT16: np.float16,
              tflite.TensorType.INT32: np.int32}
    ops, dequantized = [], {}
    for i in range(graph.OperatorsLength()):
        op = graph.Operators(i)
        code = model.OperatorCodes(op.OpcodeIndex())
        name = op_names[max(code.BuiltinCode(), code.DeprecatedBuiltinCode())]
        ins, outs = list(op.InputsAsNumpy()), list(op.OutputsAsNumpy())
        if name == "DEQUANTIZE":
            dequantized[outs[0]] = ins[0]
        else:
            ops.append((name, ins, outs))

    def constant(tensor: int):
        tensor = dequantized.get(tensor, tensor)
        t = graph.Tensors(tensor)
        data = model.Buffers(t.Buffer()).DataAsNumpy()
        if isinstance(data, int):  # no data: an activation
            return None
        shape = tuple(t.ShapeAsNumpy()) if t.ShapeLength() else ()
        return np.frombuffer(data.tobytes(), dtypes[t.Type()]).reshape(shape).astype(np.float32)

    return ops, constant


def convert(path) -> BlendshapeNet:
    """A BlendshapeNet with the weights of MediaPipe's face_blendshapes.tflite at ``path``.

    The graph's 1x1 CONV_2D layers are, in order: point projection, coordinate projection, then per
    block token MLP (2), channel MLP (2), then the head; its LayerNorm scales are the (64,) constants
    multiplied by the RSQRT outputs, two per block. Raises ValueError if the graph differs.
    """
    ops, constant = _tflite_graph(path)
    convs = [(constant(ins[1])[:, 0, 0, :], constant(ins[2])) for name, ins, _ in ops if name == "CONV_2D"]
    rsqrt_outputs = {outs[0] for name, _, outs in ops if name == "RSQRT"}
    norms = [constant(ins[1]) for name, ins, _ in ops if name == "MUL" and ins[0] in rsqrt_outputs]
    eps = [constant(ins[1]) for name, ins, _ in ops if name == "ADD" and constant(ins[1]) is not None
           and constant(ins[1]).shape == ()]
    token = [constant(ins[0]) for name, ins, _ in ops if name == "CONCATENATION"]
    scale = [constant(ins[1]) for name, ins, _ in ops if name == "MUL" and constant(ins[1]) is not None
             and constant(ins[1]).shape == ()]
    expected = 2 + 4 * BLOCKS + 1
    if len(convs) != expected or len(norms) != 2 * BLOCKS or len(token) != 1 or len(set(map(float, eps))) != 1 \
            or len(scale) != 1 or sum(name == "LOGISTIC" for name, _, _ in ops) != 1:
        raise ValueError(f"{path}: not the MLP-Mixer blendshape graph this port expects "
                         f"({len(convs)} 1x1 convolutions, {len(norms)} norms; expected {expected}, {2 * BLOCKS})")
    net = BlendshapeNet(eps=float(eps[0]), input_scale=float(scale[0]))
    linears = [net.point_proj, net.coord_proj]
    for block in net.blocks:
        linears += [block.token_mlp[0], block.token_mlp[2], block.channel_mlp[0], block.channel_mlp[2]]
    linears.append(net.head)
    with torch.no_grad():
        for layer, (weight, bias) in zip(linears, convs):
            if tuple(layer.weight.shape) != weight.shape:
                raise ValueError(f"{path}: layer shape {weight.shape}, expected {tuple(layer.weight.shape)}")
            layer.weight.copy_(torch.from_numpy(weight))
            layer.bias.copy_(torch.from_numpy(bias))
        for i, block in enumerate(net.blocks):
            block.token_norm.weight.copy_(torch.from_numpy(norms[2 * i]))
            block.channel_norm.weight.copy_(torch.from_numpy(norms[2 * i + 1]))
        net.token.copy_(torch.from_numpy(token[0]).reshape(1, 1, CHANNELS))
    return net.eval()


def load(path, device: str = "cpu") -> BlendshapeNet:
    """The network from a saved state_dict (``blendshape_net.pt``; eps and input scale are stored in it)."""
    state = torch.load(path, map_location=device, weights_only=True)
    net = BlendshapeNet(eps=float(state.pop("eps")), input_scale=float(state.pop("input_scale")))
    net.load_state_dict(state)
    return net.to(device).eval()


def save(net: BlendshapeNet, path) -> None:
    """Write the state_dict plus eps and input scale (so ``load`` needs nothing else)."""
    state = {**net.state_dict(), "eps": torch.tensor(net.blocks[0].token_norm.eps),
             "input_scale": torch.tensor(net.input_scale)}
    torch.save(state, path)


def predict(net: BlendshapeNet, points: np.ndarray, batch_size: int = 64) -> np.ndarray:
    """Blendshape scores (N, 52), 0-1, of landmark pixels (N, 146, 2), in batches; float32.

    64 frames a batch: on one CPU thread 1.4-2 ms/frame, against 2.5-2.7 at 1024-4096 (the token MLP's
    384-wide intermediate of large batches leaves the cache; docs/benchmarks.md).
    """
    device = next(net.parameters()).device
    out = np.empty((len(points), len(BLENDSHAPES)), np.float32)
    with torch.inference_mode():
        for start in range(0, len(points), batch_size):
            chunk = torch.as_tensor(np.asarray(points[start:start + batch_size], np.float32), device=device)
            out[start:start + len(chunk)] = net(chunk).cpu().numpy()
    return out
