/*===- main.c - An application that links an ahead-of-time compiled model -===*
 *
 * Links the object that `kiln-compile --emit=obj` made from a model (and the
 * header it wrote beside it) with the Kiln runtime: no dlopen, no compiler
 * at run time. Usage:
 *
 *   aot-model WEIGHTS.safetensors INPUT.npy OUTPUT.npy [THREADS]
 *
 * The model has one input and one output (examples/llama-tiny.json: tokens
 * in, logits out); the output is written as .npy.
 *
 *===----------------------------------------------------------------------===*/

#include "kiln/runtime/kiln_runtime.h"
#include "model.h"

#include <stdio.h>
#include <stdlib.h>

/* Prints the status message, frees it and returns 1; returns 0 for NULL. */
static int failed(kiln_status *status) {
  if (!status)
    return 0;
  fprintf(stderr, "aot-model: error: %s\n", kiln_status_message(status));
  kiln_status_free(status);
  return 1;
}

int main(int argc, char **argv) {
  if (argc < 4 || argc > 5) {
    fprintf(stderr, "usage: %s WEIGHTS.safetensors INPUT.npy OUTPUT.npy "
                    "[THREADS]\n", argv[0]);
    return 2;
  }
  const kiln_compiled_model symbols = KILN_COMPILED_MODEL_SYMBOLS;
  kiln_model *model = NULL;
  kiln_weights *weights = NULL;
  kiln_session *session = NULL;
  kiln_tensor input = {0}, output = {0};
  int rc = 1;

  if (failed(kiln_model_open_linked(&symbols, "linked model", &model)) ||
      failed(kiln_weights_open(argv[1], &weights)) ||
      failed(kiln_session_create(model, "cpu", &session)) ||
      failed(kiln_session_bind_weights(session, weights)) ||
      (argc == 5 &&
       failed(kiln_session_set_threads(session, atoi(argv[4])))) ||
      failed(kiln_npy_read(argv[2], &input)) ||
      failed(kiln_session_output_shapes(session, 1, &input, 1, &output,
                                        NULL)) ||
      failed(kiln_tensor_alloc(&output)) ||
      failed(kiln_session_run(session, 1, &input, 1, &output)) ||
      failed(kiln_npy_write(argv[3], &output)))
    goto done;

  printf("%s: output [", kiln_model_name(model));
  for (int32_t d = 0; d < output.rank; ++d)
    printf(d ? ", %lld" : "%lld", (long long)output.shape[d]);
  printf("], first value %g\n", kiln_tensor_get(&output, 0));
  rc = 0;

done:
  kiln_tensor_free(&input);
  kiln_tensor_free(&output);
  kiln_session_destroy(session);
  kiln_weights_close(weights);
  kiln_model_close(model);
  return rc;
}
