/*===- kiln_runtime.h - Kiln runtime C API ------------------------*- C -*-===*\
|*                                                                            *|
|* The public C API of the Kiln runtime: open a compiled model and read its   *|
|* signature, open and validate safetensors weights (memory-mapped), create   *|
|* a session on a device, bind weights and run the model on caller-provided   *|
|* tensors, plus .npy and safetensors file I/O for tools.                     *|
|*                                                                            *|
|* Conventions: every fallible call returns a kiln_status pointer, NULL on    *|
|* success; a non-NULL status carries a code and a message that names the     *|
|* file, tensor or dimension at fault, and the caller frees it with           *|
|* kiln_status_free. Out-parameters are written only on success. Strings      *|
|* returned by accessors live as long as the object they come from. Shapes    *|
|* and dtypes are checked at every call. A NULL handle or out-parameter gets  *|
|* a status naming it; accessors given NULL answer NULL, 0 or -1 (as for an   *|
|* empty object), and the close, free and destroy calls accept NULL.          *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#ifndef KILN_RUNTIME_KILN_RUNTIME_H
#define KILN_RUNTIME_KILN_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/*===-- Status ------------------------------------------------------------===*/

typedef enum kiln_status_code {
  KILN_OK = 0,                     /**< Only for a NULL status. */
  KILN_ERROR_INVALID_ARGUMENT = 1, /**< A tensor, shape, name or option is wrong. */
  KILN_ERROR_IO = 2,               /**< A file could not be opened, read or written. */
  KILN_ERROR_FORMAT = 3,           /**< A file or signature is malformed. */
  KILN_ERROR_UNAVAILABLE = 4,      /**< A device, driver or feature is missing. */
  KILN_ERROR_RESOURCE = 5          /**< Out of memory or a size overflows. */
} kiln_status_code;

/** An error: a code and a message. NULL means success. */
typedef struct kiln_status kiln_status;

/** The code of a status; KILN_OK for NULL. */
kiln_status_code kiln_status_get_code(const kiln_status *status);
/** The message, e.g. "input 'x' dim 1 is 7 but 'seq' is 5 from input 'tokens'". */
const char *kiln_status_message(const kiln_status *status);
/** Frees a status; NULL is allowed. */
void kiln_status_free(kiln_status *status);

/*===-- Tensors -----------------------------------------------------------===*/

typedef enum kiln_dtype {
  KILN_F32 = 0,
  KILN_F16 = 1,
  KILN_BF16 = 2,
  KILN_I32 = 3,
  KILN_I64 = 4,
  KILN_BOOL = 5 /**< one byte per element, 0 or 1 (NumPy `|b1`) */
} kiln_dtype;

/** "f32", "f16", "bf16", "i32", "i64", "bool"; "?" for anything else. */
const char *kiln_dtype_name(kiln_dtype dtype);
/** Element size in bytes; 0 for an invalid dtype. */
size_t kiln_dtype_size(kiln_dtype dtype);
/** Parses a dtype name as above; returns 0 on success, -1 otherwise. */
int kiln_dtype_parse(const char *name, kiln_dtype *out);

#define KILN_MAX_RANK 8

/** A dense, row-major tensor owned by the caller. */
typedef struct kiln_tensor {
  void *data;
  kiln_dtype dtype;
  int32_t rank;
  int64_t shape[KILN_MAX_RANK];
} kiln_tensor;

/** Product of the shape (1 for rank 0); -1 if the shape is invalid or overflows. */
int64_t kiln_tensor_num_elements(const kiln_tensor *tensor);
/** Size of the data in bytes; -1 if the shape is invalid or overflows. */
int64_t kiln_tensor_num_bytes(const kiln_tensor *tensor);
/** Allocates zeroed, 64-byte aligned data for the tensor's dtype and shape. */
kiln_status *kiln_tensor_alloc(kiln_tensor *tensor);
/** Frees data from kiln_tensor_alloc or a file reader and sets it to NULL. */
void kiln_tensor_free(kiln_tensor *tensor);

/** Reads element `index` (flat, row-major) as a double; f16 and bf16 are
    widened exactly. No bounds check. */
double kiln_tensor_get(const kiln_tensor *tensor, int64_t index);
/** Stores `value` at element `index`: floats round to nearest even (f16 and
    bf16 overflow to infinity), integers truncate toward zero and saturate
    (NaN stores 0). No bounds check. */
void kiln_tensor_set(kiln_tensor *tensor, int64_t index, double value);

/*===-- Compiled models ---------------------------------------------------===*/

typedef struct kiln_model kiln_model;

typedef enum kiln_tensor_role {
  KILN_ROLE_INPUT = 0,
  KILN_ROLE_PARAM = 1,
  KILN_ROLE_OUTPUT = 2
} kiln_tensor_role;

/** A tensor of the model's signature. */
typedef struct kiln_tensor_info {
  const char *name;
  kiln_dtype dtype;
  int32_t rank;
  /** Static size, or -1 where the dim is symbolic. */
  int64_t shape[KILN_MAX_RANK];
  /** Index into the model's dims where the dim is symbolic, else -1. */
  int32_t symbol[KILN_MAX_RANK];
  /** For an input used as indices: every element lies in [0, bound). 0: none. */
  int64_t index_bound;
} kiln_tensor_info;

/** The C symbols a compiled model exports (docs/abi.md). An application
    that links a model object (`kiln-compile --emit=obj`) initializes one
    with KILN_COMPILED_MODEL_SYMBOLS from the generated header. */
typedef struct kiln_compiled_model {
  int32_t (*abi_version)(void);
  const char *(*signature)(void);
  const char *(*source)(void);
  void (*entry)(void *const *buffers, const int64_t *dims);
  void (*pack)(void *const *buffers);
  /** The generation entries; NULL for a model without them. */
  void (*prefill)(void *const *buffers, const int64_t *dims);
  void (*decode)(void *const *buffers, const int64_t *dims);
  /** Optional (NULL: the runtime packs all at once): fills packed buffer
      `which` only, so that each parameter's pages can be released as soon
      as the buffers read from it are filled. */
  void (*pack_one)(void *const *buffers, int64_t which);
} kiln_compiled_model;

/** Opens a compiled model (.so) with dlopen, checks
    kiln_compiled_abi_version() and parses kiln_compiled_signature(). */
kiln_status *kiln_model_open(const char *path, kiln_model **out);
/** Opens a model linked into the application; `name` is used in messages.
    `symbols->source` may be NULL. */
kiln_status *kiln_model_open_linked(const kiln_compiled_model *symbols,
                                    const char *name, kiln_model **out);
/** Releases the caller's reference; sessions keep the model loaded. NULL ok. */
void kiln_model_close(kiln_model *model);

const char *kiln_model_name(const kiln_model *model);
/** The model's JSON IR text (kiln_compiled_source); "" when the model has none. */
const char *kiln_model_source(const kiln_model *model);
/** The signature JSON exactly as the model returned it. */
const char *kiln_model_signature_json(const kiln_model *model);

int32_t kiln_model_num_dims(const kiln_model *model);
/** Name of symbolic dim `index`; NULL when out of range. */
const char *kiln_model_dim_name(const kiln_model *model, int32_t index);

int32_t kiln_model_num_tensors(const kiln_model *model, kiln_tensor_role role);
/** Tensor `index` of a role; NULL when out of range. */
const kiln_tensor_info *kiln_model_tensor(const kiln_model *model,
                                          kiln_tensor_role role, int32_t index);
/** Index of the tensor with this name in a role, or -1. */
int32_t kiln_model_find_tensor(const kiln_model *model, kiln_tensor_role role,
                               const char *name);
/** Whether the model carries code for a device ("cpu", "cuda"), from the
    signature's optional "devices" list (["cpu"] when absent). */
int kiln_model_has_device(const kiln_model *model, const char *device);

/*===-- Weights (safetensors) ---------------------------------------------===*/

typedef struct kiln_weights kiln_weights;

/** Memory-maps a safetensors file and validates its header and layout:
    bounded header length, JSON object header, known dtypes, byte sizes that
    match the shapes, and tensors that cover the data section contiguously
    without overlap. */
kiln_status *kiln_weights_open(const char *path, kiln_weights **out);
/** Releases the caller's reference; sessions keep bound weights mapped. */
void kiln_weights_close(kiln_weights *weights);

const char *kiln_weights_path(const kiln_weights *weights);
/** Tensors are numbered in file order (by data offset). */
int32_t kiln_weights_count(const kiln_weights *weights);
/** Name of tensor `index`; NULL when out of range. */
const char *kiln_weights_name(const kiln_weights *weights, int32_t index);
/** Safetensors dtype string of tensor `index` ("F32", "F64", ...). */
const char *kiln_weights_dtype_string(const kiln_weights *weights, int32_t index);
/** Index of the tensor named `name`, or -1. */
int32_t kiln_weights_find(const kiln_weights *weights, const char *name);
/** Describes tensor `index`; `out->data` points into the read-only mapping.
    Fails for dtypes Kiln does not support and ranks above KILN_MAX_RANK. */
kiln_status *kiln_weights_tensor(const kiln_weights *weights, int32_t index,
                                 kiln_tensor *out);
/** A `__metadata__` value, or NULL. */
const char *kiln_weights_metadata(const kiln_weights *weights, const char *key);

/** Writes a safetensors file (header padded to 8 bytes, tensors in the given
    order). A failed write removes the partial file. */
kiln_status *kiln_safetensors_write(const char *path, int32_t count,
                                    const char *const *names,
                                    const kiln_tensor *tensors);

/*===-- Sessions ----------------------------------------------------------===*/

/** A model bound to a device, a thread count and parameters. One session
    runs one call at a time; use a session per thread to run concurrently. */
typedef struct kiln_session kiln_session;

/** Creates a session on "cpu" or "cuda". "cuda" loads libcuda.so.1 with
    dlopen (or the library $KILN_CUDA_DRIVER names), runs on device 0 in its
    primary context (current during each call, the caller's own context
    restored after) with a stream of its own, and fails with
    KILN_ERROR_UNAVAILABLE when the driver, a device, or CUDA code in the
    model (kiln-compile --target=cuda) is missing; the model's kernels are
    loaded by its first CUDA session. A "cpu" session refuses a CUDA model. */
kiln_status *kiln_session_create(kiln_model *model, const char *device,
                                 kiln_session **out);
void kiln_session_destroy(kiln_session *session);

/** Sets the number of threads used by each run (>= 1). Models built without
    OpenMP run on one thread; kiln_session_num_threads then reports 1. */
kiln_status *kiln_session_set_threads(kiln_session *session, int32_t threads);
int32_t kiln_session_num_threads(const kiln_session *session);

/** Binds every model parameter to the tensor of the same name in `weights`:
    none may be missing, shapes and dtypes must equal the signature's. Extra
    tensors are ignored. The session keeps the weights mapped. Binding also
    packs the GEMM weights into the compiled kernels' layout, once (see
    docs/abi.md): rebind after changing a parameter's data. A "cuda"
    session uploads the parameters to device memory and packs them there,
    keeping neither the mapping nor the caller's memory. */
kiln_status *kiln_session_bind_weights(kiln_session *session,
                                       kiln_weights *weights);
/** Binds parameters from caller memory, in signature order; the memory must
    stay valid while the session runs. Packs the GEMM weights as
    kiln_session_bind_weights does. */
kiln_status *kiln_session_bind_params(kiln_session *session, int32_t count,
                                      const kiln_tensor *params);

/** Checks inputs (in signature order) against the signature, binds the
    symbolic dims and fills dtype, rank and shape of each output (data is
    left untouched). `dims_out`, when not NULL, receives one value per dim. */
kiln_status *kiln_session_output_shapes(kiln_session *session,
                                        int32_t num_inputs,
                                        const kiln_tensor *inputs,
                                        int32_t num_outputs,
                                        kiln_tensor *outputs, int64_t *dims_out);

/** Runs the model once. Inputs and outputs are in signature order; every
    dtype and shape, every index input and the output buffers are checked
    first (an output may not share memory with an input or another output). Parameters must be bound. On a "cuda" session the tensors are in
    host memory: the inputs are copied to the device, the kernels run on the
    session's stream and the outputs are copied back before the call
    returns. */
kiln_status *kiln_session_run(kiln_session *session, int32_t num_inputs,
                              const kiln_tensor *inputs, int32_t num_outputs,
                              const kiln_tensor *outputs);

/** Runs the model on a "cuda" session with tensors that stay on the GPU:
    every `data` is a device pointer (a CUdeviceptr) valid in device 0's
    primary context, which the CUDA runtime API shares. The checks are
    kiln_session_run's; index and seq_offsets inputs are copied to the host
    for theirs. The kernels run on the session's stream, after the caller's
    own work that wrote the inputs has completed (synchronize it first); the
    call returns when the outputs are written. KILN_ERROR_INVALID_ARGUMENT
    on a "cpu" session. */
kiln_status *kiln_session_run_device(kiln_session *session,
                                     int32_t num_inputs,
                                     const kiln_tensor *inputs,
                                     int32_t num_outputs,
                                     const kiln_tensor *outputs);

/*===-- Generation --------------------------------------------------------===*/

/* A model whose ops allow it has `prefill` and `decode` entries next to the
   full-sequence one (docs/abi.md, "Generation"): the compiler derives each
   stateful op's one-step form and its per-sequence state (K/V caches,
   conv1d inputs, scan states, linear-attention sums). A session holds that
   state for up to `max_sequences` sequences of up to `max_length` tokens
   each, allocated once by kiln_session_reserve; sequences are numbered
   0 .. max_sequences - 1 and start empty.

   A typical loop: kiln_session_reserve, then kiln_session_prefill of each
   prompt (one call per prompt length), then kiln_session_decode steps that
   feed each sequence's next token, sequences at any lengths mixed in one
   step. The outputs of both are the model's outputs for the tokens given:
   [count, n, ...] for a prefill of n tokens, [count, 1, ...] for a step.

   On a "cuda" session the state lives in device memory, and the tokens
   and outputs of these calls are host tensors, copied in and back. */

/** Whether the model has the generation entries. When it does not and
    `reason` is not NULL, *reason says why, located at the node or attribute
    at fault (e.g. "/nodes/4/attrs/mask: attention with mask 'none' sees
    later tokens ..."), or is "" for a model compiled without them. */
int kiln_model_can_generate(const kiln_model *model, const char **reason);

/** Allocates the session's generation state for `max_sequences` sequences
    of at most `max_length` tokens each (zeroed; every sequence empty).
    Calling it again replaces the state and forgets every sequence. */
kiln_status *kiln_session_reserve(kiln_session *session,
                                  int32_t max_sequences, int64_t max_length);

/** Starts each of `count` distinct `sequences` anew with a prompt: `tokens`
    is [count, n] in the dtype of the model's token input (all prompts of one
    call have the same length; call once per length). `outputs` are the
    model's outputs for these tokens, shapes [count, n, ...] as the
    signature's with batch = count and seq = n. n = 0 only empties the
    sequences (outputs are then not touched and may be NULL). Fails when
    n exceeds the session's max_length. */
kiln_status *kiln_session_prefill(kiln_session *session, int32_t count,
                                  const int32_t *sequences,
                                  const kiln_tensor *tokens,
                                  int32_t num_outputs,
                                  const kiln_tensor *outputs);

/** Appends one token to each of `count` distinct `sequences`, which may hold
    different numbers of tokens (including none): `tokens` is [count, 1],
    `outputs` [count, 1, ...]. Fails, changing nothing, when a sequence is
    full (holds max_length tokens). */
kiln_status *kiln_session_decode(kiln_session *session, int32_t count,
                                 const int32_t *sequences,
                                 const kiln_tensor *tokens,
                                 int32_t num_outputs,
                                 const kiln_tensor *outputs);

/** Empties one sequence (drops its tokens and state). */
kiln_status *kiln_session_reset_sequence(kiln_session *session,
                                         int32_t sequence);

/** Tokens held by a sequence; -1 when there is no such sequence. */
int64_t kiln_session_sequence_length(const kiln_session *session,
                                     int32_t sequence);

/*===-- .npy files --------------------------------------------------------===*/

/** Reads a .npy file (format v1, v2 or v3; C order; little-endian '<f4',
    '<f2', '<i4', '<i8', and '<u2' which Kiln reads as bf16 bits). The data
    is allocated; free it with kiln_tensor_free. */
kiln_status *kiln_npy_read(const char *path, kiln_tensor *out);
/** Writes a .npy file (format v1); bf16 is written as '<u2' holding the
    bf16 bits. A failed write removes the partial file. */
kiln_status *kiln_npy_write(const char *path, const kiln_tensor *tensor);

#ifdef __cplusplus
}
#endif

#endif /* KILN_RUNTIME_KILN_RUNTIME_H */
