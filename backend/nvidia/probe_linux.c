// The NVIDIA driver probe: libcuda.so.1 and libnvidia-ml.so.1 opened with
// dlopen, so that latent builds and runs where neither exists.
#include <dlfcn.h>
#include <stddef.h>
#include <string.h>
#include "probe.h"

typedef int (*fn_int_u)(unsigned);
typedef int (*fn_int_pi)(int *);
typedef int (*fn_get)(int *, int);
typedef int (*fn_name)(char *, int, int);
typedef int (*fn_mem)(size_t *, int);
typedef int (*fn_attr)(int *, int, int);
typedef int (*fn_errname)(int, const char **);
typedef int (*fn_void)(void);
typedef int (*fn_ver)(char *, unsigned);

enum { CC_MAJOR = 75, CC_MINOR = 76 }; // CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_*

static void copy(char *dst, size_t n, const char *src) {
	if (src == NULL) src = "";
	strncpy(dst, src, n - 1);
	dst[n - 1] = 0;
}

void latent_probe_driver(latent_probe *p) {
	memset(p, 0, sizeof *p);
	void *cuda = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
	if (cuda == NULL) {
		copy(p->load_error, sizeof p->load_error, dlerror());
		return;
	}
	p->loaded = 1;
	fn_int_u init = (fn_int_u)dlsym(cuda, "cuInit");
	fn_int_pi version = (fn_int_pi)dlsym(cuda, "cuDriverGetVersion");
	fn_int_pi count = (fn_int_pi)dlsym(cuda, "cuDeviceGetCount");
	fn_get get = (fn_get)dlsym(cuda, "cuDeviceGet");
	fn_name name = (fn_name)dlsym(cuda, "cuDeviceGetName");
	fn_mem mem = (fn_mem)dlsym(cuda, "cuDeviceTotalMem_v2");
	fn_attr attr = (fn_attr)dlsym(cuda, "cuDeviceGetAttribute");
	fn_errname errname = (fn_errname)dlsym(cuda, "cuGetErrorName");
	if (!init || !version || !count || !get || !name || !mem || !attr) {
		copy(p->load_error, sizeof p->load_error, "libcuda.so.1 lacks the CUDA driver API (cuInit, cuDeviceGet, ...)");
		p->loaded = 0;
		return;
	}
	version(&p->cuda_version);
	p->init_code = init(0);
	if (p->init_code != 0) {
		const char *s = NULL;
		if (errname) errname(p->init_code, &s);
		copy(p->init_error, sizeof p->init_error, s);
	} else {
		int n = 0;
		count(&n);
		if (n > LATENT_MAX_DEVICES) n = LATENT_MAX_DEVICES;
		for (int i = 0; i < n; i++) {
			int dev;
			if (get(&dev, i) != 0) break;
			name(p->devices[i].name, sizeof p->devices[i].name, dev);
			mem(&p->devices[i].memory, dev);
			attr(&p->devices[i].cc_major, CC_MAJOR, dev);
			attr(&p->devices[i].cc_minor, CC_MINOR, dev);
			p->device_count = i + 1;
		}
	}
	void *nvml = dlopen("libnvidia-ml.so.1", RTLD_NOW | RTLD_LOCAL);
	if (nvml != NULL) {
		fn_void ninit = (fn_void)dlsym(nvml, "nvmlInit_v2");
		fn_ver ver = (fn_ver)dlsym(nvml, "nvmlSystemGetDriverVersion");
		fn_void shut = (fn_void)dlsym(nvml, "nvmlShutdown");
		if (ninit && ver && ninit() == 0) {
			ver(p->release, sizeof p->release);
			if (shut) shut();
		}
	}
}

const char *latent_preload(const char *path) {
	if (dlopen(path, RTLD_NOW | RTLD_GLOBAL) == NULL) return dlerror();
	return NULL;
}
