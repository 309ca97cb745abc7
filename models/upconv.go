package models

import (
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive // graph ops read best unqualified
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// upsampleConv3 computes a "same" 3×3 convolution (kernel and bias in
// ctx's scope "conv", as layers.Convolution names them) of x [B, H, W, C]
// upsampled 2× by nearest neighbour, without making the upsampled image.
//
// After nearest upsampling, output pixel (2i+a, 2j+b) reads x only at rows
// i−1, i (a = 0) or i, i+1 (a = 1), with the kernel's rows summed as
// (W0, W1+W2) or (W0+W1, W2), and columns likewise. So the four phases
// (a, b) are one 3×3 convolution at the low resolution with 4·C outputs,
// whose kernel is a fixed linear map of the 3×3 kernel, followed by a
// depth-to-space. It equals Upsample2 followed by the 3×3 convolution.
func upsampleConv3(ctx *context.Context, x *Node, channels int) *Node {
	ctx = ctx.In("conv")
	d := x.Shape().Dimensions
	b, h, w, cin := d[0], d[1], d[2], d[3]
	g := x.Graph()
	kernel := ctx.VariableWithShape("weights", shapes.Make(x.DType(), 3, 3, cin, channels)).ValueGraph(g)
	bias := ctx.VariableWithShape("biases", shapes.Make(x.DType(), channels)).ValueGraph(g)

	phaseMap := ConvertDType(Const(g, tensors.FromFlatDataAndDimensions(phaseKernelMap(), 36, 9)), x.DType())
	// GoMLX v0.26 differentiates DotGeneral by multiplying broadcast
	// [36, Cin·C, 9] tensors and reducing them; XLA fuses that for this small
	// constant map (a large product must be a 1×1 convolution instead).
	k := DotGeneral(phaseMap, []int{1}, nil, Reshape(kernel, 9, cin*channels), []int{0}, nil) // [(a, b, dy, dx), Cin·C]
	k = Reshape(k, 2, 2, 3, 3, cin, channels)
	k = TransposeAllDims(k, 2, 3, 4, 0, 1, 5) // [dy, dx, Cin, a, b, C]
	k = Reshape(k, 3, 3, cin, 4*channels)
	y := Convolve(x, k).StridePerAxis(1, 1).PadSame().Done() // [B, H, W, (a, b, C)]
	y = Reshape(y, b, h, w, 2, 2, channels)
	y = TransposeAllDims(y, 0, 1, 3, 2, 4, 5) // [B, H, a, W, b, C]
	y = Reshape(y, b, 2*h, 2*w, channels)
	return Add(y, Reshape(bias, 1, 1, 1, channels))
}

// phaseKernelMap is the 36×9 matrix taking a 3×3 kernel (r, c) to the four
// phase kernels (a, b, dy, dx) of upsampleConv3: row tap dy ∈ {−1, 0, 1}
// of phase a sums kernel rows rowsOf[a][dy+1].
func phaseKernelMap() []float32 {
	rowsOf := [2][3][]int{{{0}, {1, 2}, {}}, {{}, {0, 1}, {2}}}
	m := make([]float32, 36*9)
	for a := range 2 {
		for bb := range 2 {
			for dy := range 3 {
				for dx := range 3 {
					row := ((a*2+bb)*3+dy)*3 + dx
					for _, r := range rowsOf[a][dy] {
						for _, c := range rowsOf[bb][dx] {
							m[row*9+r*3+c] = 1
						}
					}
				}
			}
		}
	}
	return m
}
