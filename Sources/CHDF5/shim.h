// HDF5 exposes its predefined types and property-list classes through macros that
// expand to global ids valid only after H5open(); Swift cannot import such macros,
// so these inline functions return them.
#include <hdf5.h>

static inline hid_t cav_h5t_native_float(void)  { return H5T_NATIVE_FLOAT; }
static inline hid_t cav_h5t_native_double(void) { return H5T_NATIVE_DOUBLE; }
static inline hid_t cav_h5t_native_int8(void)   { return H5T_NATIVE_INT8; }
static inline hid_t cav_h5t_native_uint8(void)  { return H5T_NATIVE_UINT8; }
static inline hid_t cav_h5t_native_int16(void)  { return H5T_NATIVE_INT16; }
static inline hid_t cav_h5t_native_uint16(void) { return H5T_NATIVE_UINT16; }
static inline hid_t cav_h5t_native_int32(void)  { return H5T_NATIVE_INT32; }
static inline hid_t cav_h5t_native_uint32(void) { return H5T_NATIVE_UINT32; }
static inline hid_t cav_h5t_native_int64(void)  { return H5T_NATIVE_INT64; }
static inline hid_t cav_h5t_native_uint64(void) { return H5T_NATIVE_UINT64; }
static inline hid_t cav_h5t_ieee_f32le(void)    { return H5T_IEEE_F32LE; }
static inline hid_t cav_h5t_c_s1(void)          { return H5T_C_S1; }
static inline hid_t cav_h5p_file_access(void)   { return H5P_FILE_ACCESS; }
static inline hid_t cav_h5p_link_create(void)   { return H5P_LINK_CREATE; }
static inline hid_t cav_h5p_dataset_create(void){ return H5P_DATASET_CREATE; }
static inline hid_t cav_h5p_group_create(void)  { return H5P_GROUP_CREATE; }
static inline hid_t cav_h5p_default(void)       { return H5P_DEFAULT; }
static inline hid_t cav_h5s_all(void)           { return H5S_ALL; }
static inline hid_t cav_h5e_default(void)       { return H5E_DEFAULT; }
static inline size_t cav_h5t_variable(void)     { return H5T_VARIABLE; }

/// Silences HDF5's automatic error-stack printing; errors are reported by the Swift caller.
static inline void cav_h5_silence_errors(void) { H5Eset_auto2(H5E_DEFAULT, NULL, NULL); }

// Standard little-endian file types, so files written here read the same on any host.
static inline hid_t cav_h5t_ieee_f64le(void)    { return H5T_IEEE_F64LE; }
static inline hid_t cav_h5t_std_i8le(void)      { return H5T_STD_I8LE; }
static inline hid_t cav_h5t_std_u8le(void)      { return H5T_STD_U8LE; }
static inline hid_t cav_h5t_std_u16le(void)     { return H5T_STD_U16LE; }
static inline hid_t cav_h5t_std_i32le(void)     { return H5T_STD_I32LE; }
static inline hid_t cav_h5t_std_i64le(void)     { return H5T_STD_I64LE; }

// File-access flags are unsigned macros; these give them one Swift type.
static inline unsigned cav_h5f_acc_rdonly(void) { return H5F_ACC_RDONLY; }
static inline unsigned cav_h5f_acc_excl(void)   { return H5F_ACC_EXCL; }
