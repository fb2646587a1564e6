//===- RunGenerate.h - kiln-run --generate ----------------------*- C++ -*-===//
//
// Greedy generation through the runtime's prefill and decode entries
// (DESIGN.md §4, "Generation"; kiln_runtime.h, "Generation").
//
//===----------------------------------------------------------------------===//

#ifndef KILN_TOOLS_KILN_RUN_RUNGENERATE_H
#define KILN_TOOLS_KILN_RUN_RUNGENERATE_H

#include "kiln/runtime/kiln_runtime.hpp"

#include <ostream>
#include <string>

namespace kiln::run {

struct GenerateOptions {
  int tokens = 0;  ///< Tokens to generate per row.
  int bench = 0;   ///< Timed generations after the first; 0: none.
  bool quiet = false;
};

/// Checks that the model has generation entries and logits as its first
/// output; else `error` says why (the compiler's located reason).
bool checkCanGenerate(const kiln_model *model, std::string &error);

/// Prefills every row of `prompt` (the model's [batch, seq] token ids) as
/// its own sequence, then greedy-decodes `options.tokens` tokens per row
/// from the last position of the first output (the logits), and returns
/// them as i64 [batch, tokens] in `ids`. Prints the ids (unless quiet) and,
/// with bench, prefill and decode tokens/s.
bool generate(kiln_model *model, kiln_session *session,
              const kiln_tensor &prompt, const GenerateOptions &options,
              rt::OwnedTensor &ids, std::ostream &out, std::string &error);

} // namespace kiln::run

#endif // KILN_TOOLS_KILN_RUN_RUNGENERATE_H
