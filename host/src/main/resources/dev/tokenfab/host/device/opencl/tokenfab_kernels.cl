// tokenfab decode kernels in OpenCL C 1.2: ports of the HLS C++ kernels of
// hls-kernels/src/main/cpp/kernels with the same arguments in the same order (tokenfab_kernels.h),
// so the host binds them exactly like the XRT kernels. Restricted to OpenCL C 1.2 core features
// (PoCL on the CPU has no cl_khr_fp16 and no integer-dot extension): fp16 weights are read with
// vload_half, int8 products accumulate in float.
//
// NDRange: one work-item per output element (global size = rows * batch for GEMV, n for
// element-wise). Summation order differs from the C-simulation, so results agree within a float
// tolerance, not bit for bit.

// y[b][r] = scales[r] * sum_c w[r][c] * x[b][c] + (bias ? bias[r] : 0); Q8_CHANNEL weights.
__kernel void tf_gemv_q8(__global const char* w, __global const float* scales, __global const float* bias,
                         __global const float* x, __global float* y, int rowsElems, int colsElems, int batch) {
    const int gid = get_global_id(0);
    if (gid >= rowsElems * batch) return;
    const int r = gid % rowsElems;
    const int b = gid / rowsElems;
    __global const char* wRow = w + (long) r * colsElems;
    __global const float* xb = x + (long) b * colsElems;
    float acc = 0.0f;
    for (int c = 0; c < colsElems; ++c) acc += (float) wRow[c] * xb[c];
    y[(long) b * rowsElems + r] = acc * scales[r] + (bias != 0 ? bias[r] : 0.0f);
}

// y[b][r] = sum_c half(w[r][c]) * x[b][c] + (bias ? bias[r] : 0); F16 weights stored as uint16.
__kernel void tf_gemv_f16(__global const ushort* w, __global const float* bias, __global const float* x,
                          __global float* y, int rowsElems, int colsElems, int batch) {
    const int gid = get_global_id(0);
    if (gid >= rowsElems * batch) return;
    const int r = gid % rowsElems;
    const int b = gid / rowsElems;
    __global const half* wRow = (__global const half*) (w + (long) r * colsElems);
    __global const float* xb = x + (long) b * colsElems;
    float acc = 0.0f;
    for (int c = 0; c < colsElems; ++c) acc += vload_half(c, wRow) * xb[c];
    y[(long) b * rowsElems + r] = acc + (bias != 0 ? bias[r] : 0.0f);
}

// out[i] = a[i] + b[i]
__kernel void tf_add(__global const float* a, __global const float* b, __global float* out, int nElems) {
    const int i = get_global_id(0);
    if (i < nElems) out[i] = a[i] + b[i];
}

// out[i] = silu(gate[i]) * up[i]
__kernel void tf_swiglu(__global const float* gate, __global const float* up, __global float* out, int nElems) {
    const int i = get_global_id(0);
    if (i < nElems) {
        const float g = gate[i];
        out[i] = g / (1.0f + exp(-g)) * up[i];
    }
}
