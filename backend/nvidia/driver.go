package nvidia

/*
#cgo LDFLAGS: -ldl
#include "probe.h"
#include <stdlib.h>
*/
import "C"

import (
	"fmt"
	"unsafe"
)

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

// ProbeDriver opens libcuda.so.1, initialises it and lists its GPUs (those
// $CUDA_VISIBLE_DEVICES lets it show).
func ProbeDriver() Driver {
	p := (*C.latent_probe)(C.calloc(1, C.sizeof_latent_probe))
	defer C.free(unsafe.Pointer(p))
	C.latent_probe_driver(p)
	d := Driver{
		Loaded:      p.loaded != 0,
		LoadError:   C.GoString(&p.load_error[0]),
		CUDAVersion: int(p.cuda_version),
		Release:     C.GoString(&p.release[0]),
		InitCode:    int(p.init_code),
		InitError:   C.GoString(&p.init_error[0]),
	}
	for i := 0; i < int(p.device_count); i++ {
		dev := p.devices[i]
		d.Devices = append(d.Devices, Device{
			Name: C.GoString(&dev.name[0]), MemoryBytes: uint64(dev.memory),
			CapMajor: int(dev.cc_major), CapMinor: int(dev.cc_minor),
		})
	}
	return d
}

// VersionString writes a cuDriverGetVersion number as "13.0".
func VersionString(v int) string { return fmt.Sprintf("%d.%d", v/1000, v%1000/10) }

// Preload opens each file with RTLD_GLOBAL, as JAX does before loading its
// CUDA plugin, so that the plugin's own dlopen of a library by name finds the
// copy already loaded even where its RPATH does not look.
func Preload(files []File) error {
	for _, f := range files {
		if f.Path == "" {
			continue
		}
		cs := C.CString(f.Path)
		msg := C.latent_preload(cs)
		C.free(unsafe.Pointer(cs))
		if msg != nil {
			return fmt.Errorf("loading %s: %s", f.Path, C.GoString(msg))
		}
	}
	return nil
}
