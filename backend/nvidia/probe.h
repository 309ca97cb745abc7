#include <stddef.h>

#define LATENT_MAX_DEVICES 64

typedef struct {
	char name[256];
	size_t memory;
	int cc_major, cc_minor;
} latent_device;

typedef struct {
	int loaded;            // libcuda.so.1 opened
	char load_error[512];  // dlerror() when not
	int cuda_version;      // cuDriverGetVersion: 13000 for CUDA 13.0
	int init_code;         // cuInit's CUresult
	char init_error[128];  // its name
	char release[96];      // NVML's driver version, "580.65.06"; empty when unknown
	int device_count;
	latent_device devices[LATENT_MAX_DEVICES];
} latent_probe;

void latent_probe_driver(latent_probe *p);
const char *latent_preload(const char *path);
