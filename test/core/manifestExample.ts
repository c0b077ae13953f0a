// The device manifest of SPEC.md section 2, shared by the manifest tests.

/** The example of SPEC.md section 2, verbatim. */
export const SPEC_EXAMPLE = `# An edge box: a CPU that runs everything, a GPU, and an FPGA with two engines.
model "models/mobilenetv2-7.onnx"          # path relative to this file
input "input" [1, 3, 224, 224]            # pin a graph input's shape ([] = scalar)
dim batch = 1                             # bind a symbolic dimension everywhere

device gpu0 : gpu {
  memory 256 MiB
  reserve 32 MiB                          # reserved memory (claim 2, 7)
  supports Conv, Relu, Clip, Add, Gemm, GlobalAveragePool, Reshape, Flatten
  strategy packed
  align 256
}

device fpga0 : fpga {
  memory 8 MiB
  reserve 12.5%
  unit conv_engine { supports Conv; fuse Relu, Clip }   # a computing unit
  unit pool_engine x2 { supports MaxPool, AveragePool, GlobalAveragePool }
  strategy reuse
}

device cpu0 : cpu {
  memory 2 GiB
  supports *                              # fallback: every operator
  units 4
}

priority fpga0, gpu0, cpu0                # order in which devices are tried
place "Conv_0", "Conv_3" on gpu0          # pin nodes by name
place op Softmax on cpu0                  # pin every node of an op type
min-subfunction 3                         # absorb islands shorter than 3 nodes
`;
