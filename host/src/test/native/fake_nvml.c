/*
 * A tiny stand-in for libnvidia-ml.so.1 so the real FFM binding (NvmlSensor/NvmlLibrary) runs in
 * tests on machines without an NVIDIA GPU. It exports only the functions the binding uses, with
 * the signatures and return codes of nvml.h.
 *
 * The "hardware" is a script file named by the environment variable FAKE_NVML_SCRIPT, re-read on
 * every call so a test can move the power/energy curve between reads:
 *
 *   init <rc>                          optional: nvmlInit_v2 returns rc (default 0 = NVML_SUCCESS)
 *   device <power_mw> <energy_mj> <name...>   one line per GPU; energy_mj -1 = no energy counter
 *
 * Build: gcc -shared -fPIC -o libnvidia-ml.so.1 fake_nvml.c
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NVML_SUCCESS 0
#define NVML_ERROR_UNINITIALIZED 1
#define NVML_ERROR_INVALID_ARGUMENT 2
#define NVML_ERROR_NOT_SUPPORTED 3
#define NVML_ERROR_NOT_FOUND 6
#define NVML_ERROR_INSUFFICIENT_SIZE 7
#define NVML_ERROR_UNKNOWN 999

#define kMaxDevices 8
#define kNameBytes 96

typedef struct { unsigned int index; } fake_device;
typedef fake_device *nvmlDevice_t;

static fake_device g_devices[kMaxDevices];
static int g_initialized = 0;

typedef struct {
    int init_rc;
    unsigned int count;
    unsigned long long power_mw[kMaxDevices];
    long long energy_mj[kMaxDevices];
    char name[kMaxDevices][kNameBytes];
} script;

static int load(script *s) {
    memset(s, 0, sizeof *s);
    const char *path = getenv("FAKE_NVML_SCRIPT");
    if (!path) return -1;
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    char line[256];
    while (fgets(line, sizeof line, f)) {
        unsigned long long p; long long e; int used = 0;
        if (sscanf(line, "init %d", &s->init_rc) == 1) continue;
        if (s->count < kMaxDevices && sscanf(line, "device %llu %lld %n", &p, &e, &used) == 2) {
            s->power_mw[s->count] = p;
            s->energy_mj[s->count] = e;
            strncpy(s->name[s->count], line + used, kNameBytes - 1);
            s->name[s->count][strcspn(s->name[s->count], "\r\n")] = 0;
            s->count++;
        }
    }
    fclose(f);
    return 0;
}

int nvmlInit_v2(void) {
    script s;
    if (load(&s) != 0) return NVML_ERROR_UNKNOWN;
    if (s.init_rc != 0) return s.init_rc;
    g_initialized = 1;
    return NVML_SUCCESS;
}

int nvmlShutdown(void) {
    if (!g_initialized) return NVML_ERROR_UNINITIALIZED;
    g_initialized = 0;
    return NVML_SUCCESS;
}

const char *nvmlErrorString(int rc) {
    switch (rc) {
        case NVML_SUCCESS: return "Success";
        case NVML_ERROR_UNINITIALIZED: return "Uninitialized";
        case NVML_ERROR_INVALID_ARGUMENT: return "Invalid Argument";
        case NVML_ERROR_NOT_SUPPORTED: return "Not Supported";
        case NVML_ERROR_NOT_FOUND: return "Not Found";
        default: return "Unknown Error";
    }
}

int nvmlDeviceGetCount_v2(unsigned int *count) {
    script s;
    if (!g_initialized) return NVML_ERROR_UNINITIALIZED;
    if (!count) return NVML_ERROR_INVALID_ARGUMENT;
    if (load(&s) != 0) return NVML_ERROR_UNKNOWN;
    *count = s.count;
    return NVML_SUCCESS;
}

int nvmlDeviceGetHandleByIndex_v2(unsigned int index, nvmlDevice_t *device) {
    script s;
    if (!g_initialized) return NVML_ERROR_UNINITIALIZED;
    if (!device) return NVML_ERROR_INVALID_ARGUMENT;
    if (load(&s) != 0) return NVML_ERROR_UNKNOWN;
    if (index >= s.count) return NVML_ERROR_INVALID_ARGUMENT;
    g_devices[index].index = index;
    *device = &g_devices[index];
    return NVML_SUCCESS;
}

int nvmlDeviceGetName(nvmlDevice_t device, char *name, unsigned int length) {
    script s;
    if (!g_initialized) return NVML_ERROR_UNINITIALIZED;
    if (!device || !name) return NVML_ERROR_INVALID_ARGUMENT;
    if (load(&s) != 0 || device->index >= s.count) return NVML_ERROR_NOT_FOUND;
    if (strlen(s.name[device->index]) + 1 > length) return NVML_ERROR_INSUFFICIENT_SIZE;
    strcpy(name, s.name[device->index]);
    return NVML_SUCCESS;
}

int nvmlDeviceGetTotalEnergyConsumption(nvmlDevice_t device, unsigned long long *energy) {
    script s;
    if (!g_initialized) return NVML_ERROR_UNINITIALIZED;
    if (!device || !energy) return NVML_ERROR_INVALID_ARGUMENT;
    if (load(&s) != 0 || device->index >= s.count) return NVML_ERROR_NOT_FOUND;
    if (s.energy_mj[device->index] < 0) return NVML_ERROR_NOT_SUPPORTED;
    *energy = (unsigned long long) s.energy_mj[device->index];
    return NVML_SUCCESS;
}

int nvmlDeviceGetPowerUsage(nvmlDevice_t device, unsigned int *power) {
    script s;
    if (!g_initialized) return NVML_ERROR_UNINITIALIZED;
    if (!device || !power) return NVML_ERROR_INVALID_ARGUMENT;
    if (load(&s) != 0 || device->index >= s.count) return NVML_ERROR_NOT_FOUND;
    *power = (unsigned int) s.power_mw[device->index];
    return NVML_SUCCESS;
}
