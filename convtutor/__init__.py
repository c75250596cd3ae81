"""convtutor: the types of convolution used in deep learning, in numpy, checked against PyTorch.

The functions a reader calls are here, grouped by idea; each lives in the module named after
that idea, where its helpers and result types are too. The modules that draw (``geometry``,
``drawing``, ``explorer``, ``widgets``) are imported on their own, so that ``import convtutor``
needs nothing but numpy.
"""

# the operations, with the semantics of torch.nn.functional
from .conv import causal_conv1d, conv1d, conv2d, conv3d
from .transposed import conv_transpose1d, conv_transpose2d, conv_transpose3d

# the same operations written to be read: loops, im2col, the matrix C and its transpose
from .conv import conv_loops, conv_matrix, flip_kernel, im2col
from .transposed import conv_transpose_as_conv, conv_transpose_matrix, conv_transpose_scatter, insert_zeros

# gradients: of the input, a transposed convolution; of the weight, input windows times output gradients
from .conv import conv_input_grad, conv_weight_grad

# sizes and costs (every size rule lives in ConvShape)
from .arithmetic import (
    ConvShape,
    Layer,
    conv_macs,
    conv_output_size,
    conv_parameters,
    conv_shape,
    conv_transpose_macs,
    conv_transpose_output_size,
    conv_transpose_shape,
    depthwise_separable_macs,
    depthwise_separable_parameters,
    effective_kernel_size,
    mobilenet_cost_ratio,
    pool_output_size,
    receptive_field,
    resolve_padding,
    spatially_separable_macs,
)

# separable convolutions: spatial (rank 1) and depthwise
from .separable import (
    depthwise_conv2d,
    depthwise_separable_conv2d,
    is_separable,
    kernel_rank,
    low_rank_approximation,
    pointwise_conv2d,
    separate,
    spatially_separable_conv2d,
)

# what a transposed convolution is not: a real inverse
from .deconvolution import compare_inverses, deconvolve, lost_information

# tools: one layer in every framework's terms, the layers that give a size, a model explained
from .conventions import convert_activation, convert_weight, run_torch_recipe, same_padding, torch_equivalent
from .explain import summary
from .solver import layers_for

__version__ = "0.1.0"

__all__ = [
    # operations
    "conv1d", "conv2d", "conv3d", "causal_conv1d",
    "conv_transpose1d", "conv_transpose2d", "conv_transpose3d",
    # readable versions
    "conv_loops", "im2col", "conv_matrix", "flip_kernel",
    "conv_transpose_scatter", "conv_transpose_as_conv", "conv_transpose_matrix", "insert_zeros",
    # gradients
    "conv_input_grad", "conv_weight_grad",
    # sizes and costs
    "ConvShape", "conv_shape", "conv_transpose_shape", "resolve_padding",
    "conv_output_size", "conv_transpose_output_size", "pool_output_size", "effective_kernel_size",
    "conv_parameters", "conv_macs", "conv_transpose_macs", "spatially_separable_macs",
    "depthwise_separable_parameters", "depthwise_separable_macs", "mobilenet_cost_ratio",
    "Layer", "receptive_field",
    # separable
    "kernel_rank", "is_separable", "separate", "low_rank_approximation", "spatially_separable_conv2d",
    "depthwise_conv2d", "pointwise_conv2d", "depthwise_separable_conv2d",
    # inverses
    "deconvolve", "lost_information", "compare_inverses",
    # tools
    "same_padding", "convert_weight", "convert_activation", "torch_equivalent", "run_torch_recipe",
    "layers_for", "summary",
]
