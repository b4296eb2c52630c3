# Calibration + metrics benchmark (bench_calibrate): min/max and metrics vs a
# streaming read baseline of the same run; histogram + entropy / MSE search vs
# PyTorch's HistogramObserver figure from the anchor results.
qmath_add_benchmark(bench_calibrate bench_calibrate.cpp)
