//===- FuzzJsonModel.cpp - Fuzz the JSON IR front end ---------------------===//
//
// Any byte string given to the model parser either yields an error or a
// validated model; a validated model must import into MLIR that verifies
// (a failure there is an importer bug, reported as a crash).
//
//===----------------------------------------------------------------------===//

#include "kiln/InitAllDialects.h"
#include "lib/Import/JSON/Importer.h"
#include "lib/Import/JSON/Model.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"

#include <cstdio>
#include <cstdlib>
#include <memory>

namespace {

/// A context interns every attribute it sees (the model's source text
/// among them), so it is replaced now and then to keep memory bounded.
mlir::MLIRContext &context() {
  static std::unique_ptr<mlir::MLIRContext> instance;
  static unsigned uses = 0;
  if (!instance || ++uses % 256 == 0) {
    mlir::DialectRegistry registry;
    kiln::registerAllDialects(registry);
    instance = std::make_unique<mlir::MLIRContext>(
        registry, mlir::MLIRContext::Threading::DISABLED);
    instance->loadAllAvailableDialects();
  }
  return *instance;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string text(reinterpret_cast<const char *>(data), size);
  kiln::model::Error error;
  std::optional<kiln::model::Model> model =
      kiln::model::parseModel(text, "fuzz.json", error);
  if (!model) {
    // Every rejection must say where and what.
    if (error.message.empty()) {
      std::fprintf(stderr, "model rejected without a message\n");
      std::abort();
    }
    return 0;
  }
  mlir::OwningOpRef<mlir::ModuleOp> module =
      kiln::importModel(context(), *model);
  if (!module || mlir::failed(mlir::verify(*module))) {
    std::fprintf(stderr, "a validated model did not import and verify\n");
    std::abort();
  }
  return 0;
}
