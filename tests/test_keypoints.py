"""The spatial-softmax encoder: each channel becomes the image point where it fires."""

import torch
from dexgrasp.models.keypoints import KeypointCNN, SpatialSoftmax


def test_the_spatial_softmax_returns_where_each_channel_peaks():
    """A channel hot at one pixel reads as that pixel's coordinates in [-1, 1] (x along the width, y down)."""
    height, width = 9, 17
    features = torch.zeros(2, 3, height, width)
    peaks = [(0, 0), (8, 16), (4, 8)]
    for channel, (row, col) in enumerate(peaks):
        features[:, channel, row, col] = 50.0
    points = SpatialSoftmax(height, width)(features).reshape(2, 3, 2)
    expected = torch.tensor([[2 * col / (width - 1) - 1, 2 * row / (height - 1) - 1] for row, col in peaks])
    assert torch.allclose(points, expected.expand(2, 3, 2), atol=1e-4)


def test_a_keypoint_cnn_reports_two_features_per_channel_like_a_flattened_cnn():
    """RSL-RL's CNN models read ``output_dim`` as the latent size when ``output_channels`` is None."""
    cnn = KeypointCNN((32, 32), 1, output_channels=[8, 6], kernel_size=[5, 3], stride=[2, 1], padding="zeros",
                      activation="elu")  # fmt: skip
    assert cnn.output_channels is None and cnn.output_dim == 12
    assert cnn(torch.rand(4, 1, 32, 32)).shape == (4, 12)
