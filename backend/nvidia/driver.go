package nvidia

import "fmt"

// Driver is what the NVIDIA driver says about itself and its GPUs.
type Driver struct {
	Loaded    bool   // libcuda.so.1 was opened
	LoadError string // why not
	// CUDAVersion is the newest CUDA the driver supports (cuDriverGetVersion: 13000 is 13.0).
	CUDAVersion int
	Release     string // the driver's release (NVML), e.g. 580.65.06; empty when unknown
	InitCode    int    // cuInit's result: 0 on success, 100 CUDA_ERROR_NO_DEVICE, …
	InitError   string // its name
	Devices     []Device
}

// Device is one GPU the driver shows.
type Device struct {
	Name               string
	MemoryBytes        uint64
	CapMajor, CapMinor int // compute capability
}

// CUDA driver results that say why no GPU is shown.
const (
	ErrNoDevice         = 100 // CUDA_ERROR_NO_DEVICE
	ErrInsufficient     = 35  // CUDA_ERROR_INSUFFICIENT_DRIVER
	ErrCompatNotSupport = 804 // CUDA_ERROR_COMPAT_NOT_SUPPORTED_ON_DEVICE
)

// VersionString writes a cuDriverGetVersion number as "13.0".
func VersionString(v int) string { return fmt.Sprintf("%d.%d", v/1000, v%1000/10) }
