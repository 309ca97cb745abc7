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
