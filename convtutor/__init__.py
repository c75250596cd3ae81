"""convtutor: the types of convolution used in deep learning, in numpy, checked against PyTorch.

The public names are re-exported here; each lives in the module named after its idea.
"""

from .arithmetic import (
    Layer,
    LayerField,
    conv_macs,
    conv_output_size,
    conv_parameters,
    conv_transpose_macs,
    conv_transpose_output_size,
    effective_kernel_size,
    pool_output_size,
    receptive_field,
    resolve_padding,
)
from .conv import causal_conv1d, conv1d, conv2d, conv3d, conv_loops, conv_matrix, flip_kernel, im2col
from .transposed import (
    conv_transpose1d,
    conv_transpose2d,
    conv_transpose3d,
    conv_transpose_as_conv,
    conv_transpose_matrix,
    conv_transpose_scatter,
    insert_zeros,
)

from .geometry import Geometry, Hit, Tap, conv_geometry, describe, transposed_geometry
from .separable import (
    LowRankApproximation,
    depthwise_conv2d,
    depthwise_separable_conv2d,
    depthwise_separable_macs,
    depthwise_separable_parameters,
    is_separable,
    kernel_rank,
    low_rank_approximation,
    mobilenet_cost_ratio,
    pointwise_conv2d,
    separate,
    spatially_separable_conv2d,
)
from .deconvolution import Deconvolution, InverseComparison, LostInformation, compare_inverses, deconvolve, lost_information

__version__ = "0.1.0"

__all__ = [
    "causal_conv1d",
    "compare_inverses",
    "conv1d",
    "conv2d",
    "conv3d",
    "conv_geometry",
    "conv_loops",
    "conv_macs",
    "conv_matrix",
    "conv_output_size",
    "conv_parameters",
    "conv_transpose1d",
    "conv_transpose2d",
    "conv_transpose3d",
    "conv_transpose_as_conv",
    "conv_transpose_macs",
    "conv_transpose_matrix",
    "conv_transpose_output_size",
    "conv_transpose_scatter",
    "Deconvolution",
    "deconvolve",
    "depthwise_conv2d",
    "depthwise_separable_conv2d",
    "depthwise_separable_macs",
    "depthwise_separable_parameters",
    "describe",
    "effective_kernel_size",
    "flip_kernel",
    "Geometry",
    "Hit",
    "im2col",
    "insert_zeros",
    "InverseComparison",
    "is_separable",
    "kernel_rank",
    "Layer",
    "LayerField",
    "lost_information",
    "LostInformation",
    "low_rank_approximation",
    "LowRankApproximation",
    "mobilenet_cost_ratio",
    "pointwise_conv2d",
    "pool_output_size",
    "receptive_field",
    "resolve_padding",
    "separate",
    "spatially_separable_conv2d",
    "Tap",
    "transposed_geometry",
]
