//===- RaiseActivations.cpp - Activations written as arithmetic -----------===//
//
// The kiln-raise-activations pass. Exporters and model code often write an
// activation out: SiLU as `x * sigmoid(x)`, GELU as
// `x * 0.5 * (1 + erf(x / √2))` (torch.onnx's nn.GELU), its tanh
// approximation as `0.5 * x * (1 + tanh(√(2/π) * (x + 0.044715 * x³)))`
// (GPT-2's gelu_new), CLIP's quick_gelu as `x * sigmoid(1.702 * x)`.
// Each becomes its one graph op, so that the epilogue
// and FFN fusions that follow see an activation, and the kernel computes it
// in registers rather than as a chain of elementwise ops.
//
// An expression is matched by expanding it into a polynomial: a sum of
// monomials, each a coefficient times a product of factors, the factors
// being the values that are not arithmetic on scalars (x, erf(…), …).
// Equal expressions written in another order or grouping expand alike.
// Two spellings are no polynomial and are raised first: the sigmoid as
// `1 / (1 + exp(-x))` (and `y / (1 + exp(-x))` as y · sigmoid(x), SiLU's
// `x / (1 + exp(-x))`), and ReLU as `maximum(x, 0)` (jax.nn.relu).
//
//===----------------------------------------------------------------------===//

#include "passes/Fusion/FusionSupport.h"
#include "passes/Fusion/Passes.h"

#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "llvm/ADT/TypeSwitch.h"

#include <cmath>

namespace kiln {
#define GEN_PASS_DEF_RAISEACTIVATIONS
#include "passes/Fusion/Passes.h.inc"
} // namespace kiln

using namespace mlir;
using namespace kiln;
using namespace kiln::graph;

namespace {

/// `coefficient · factors[0] · factors[1] · …`, the factors sorted so that
/// equal products compare equal.
struct Monomial {
  double coefficient;
  SmallVector<Value, 4> factors;
};
using Polynomial = SmallVector<Monomial, 4>;

// Bounds on the expansion: the activations need at most two monomials of
// three factors and six nested ops; anything far larger is no activation
// (and a long chain of arithmetic must not cost a deep walk per op).
constexpr size_t kMaxMonomials = 8;
constexpr size_t kMaxFactors = 4;
constexpr int kMaxDepth = 12;

bool valueOrder(Value lhs, Value rhs) {
  return lhs.getAsOpaquePointer() < rhs.getAsOpaquePointer();
}

/// `sum` with `term` added, like monomials merged.
void addMonomial(Polynomial &sum, Monomial term) {
  for (Monomial &existing : sum)
    if (existing.factors == term.factors) {
      existing.coefficient += term.coefficient;
      return;
    }
  sum.push_back(std::move(term));
}

std::optional<Polynomial> add(const Polynomial &lhs, const Polynomial &rhs,
                              double rhsSign) {
  Polynomial sum = lhs;
  for (Monomial term : rhs) {
    term.coefficient *= rhsSign;
    addMonomial(sum, std::move(term));
  }
  llvm::erase_if(sum, [](const Monomial &m) { return m.coefficient == 0; });
  if (sum.size() > kMaxMonomials)
    return std::nullopt;
  return sum;
}

std::optional<Polynomial> multiply(const Polynomial &lhs,
                                   const Polynomial &rhs) {
  Polynomial product;
  for (const Monomial &a : lhs)
    for (const Monomial &b : rhs) {
      Monomial term{a.coefficient * b.coefficient, a.factors};
      llvm::append_range(term.factors, b.factors);
      if (term.factors.size() > kMaxFactors)
        return std::nullopt;
      llvm::sort(term.factors, valueOrder);
      addMonomial(product, std::move(term));
    }
  if (product.size() > kMaxMonomials)
    return std::nullopt;
  return product;
}

Polynomial scaled(Polynomial p, double factor) {
  for (Monomial &term : p)
    term.coefficient *= factor;
  return p;
}

/// Constants as models write them: √(2/π) as 0.7978845608, or 0.79788.
bool near(double value, double expected) {
  return std::abs(value - expected) <= 1e-4 * std::abs(expected);
}

/// The exponent of a `pow` the expansion multiplies out (2 or 3), if it is
/// one.
std::optional<int> smallExponent(PowOp pow) {
  std::optional<double> exponent = scalarConstant(pow.getRhs());
  if (exponent != 2.0 && exponent != 3.0)
    return std::nullopt;
  return int(*exponent);
}

/// Whether the expansion goes through `op`: arithmetic on values of its
/// result's type and scalar constants (a broadcast tensor is no
/// activation's).
bool isExpandable(Operation *op) {
  bool arithmetic =
      llvm::TypeSwitch<Operation *, bool>(op)
          .Case<AddOp, SubOp, MulOp, NegOp, SquareOp>(
              [](Operation *) { return true; })
          .Case([](DivOp div) {
            std::optional<double> divisor = scalarConstant(div.getRhs());
            return divisor && *divisor != 0;
          })
          .Case([](PowOp pow) { return smallExponent(pow).has_value(); })
          .Default([](Operation *) { return false; });
  Type type = op->getResult(0).getType();
  return arithmetic && llvm::all_of(op->getOperands(), [&](Value operand) {
           return operand.getType() == type || scalarConstant(operand);
         });
}

/// Expands the arithmetic that computes a value into a polynomial, and
/// remembers the ops it went through.
class Expander {
public:
  /// `value` as a polynomial. An op is expanded only when `value` is the
  /// expression's root (`user` null) or feeds nothing but `user`, so that
  /// replacing the root leaves the expanded ops dead.
  std::optional<Polynomial> expand(Value value, Operation *user = nullptr) {
    if (std::optional<double> constant = scalarConstant(value))
      return Polynomial{{*constant, {}}};
    Operation *op = value.getDefiningOp();
    bool interior =
        op && (!user || llvm::all_of(value.getUsers(),
                                     [&](Operation *u) { return u == user; }));
    if (!interior || !isExpandable(op))
      return Polynomial{{1.0, {value}}};
    if (depth == kMaxDepth)
      return std::nullopt;
    ++depth;
    std::optional<Polynomial> p = expandOp(op);
    --depth;
    if (p)
      ops.push_back(op);
    return p;
  }

  /// The ops expanded so far.
  ArrayRef<Operation *> expanded() const { return ops; }

private:
  std::optional<Polynomial> expandOp(Operation *op) {
    auto operand = [&](unsigned i) { return expand(op->getOperand(i), op); };
    if (isa<NegOp, DivOp>(op)) {
      std::optional<Polynomial> input = operand(0);
      double factor =
          isa<NegOp>(op) ? -1.0 : 1.0 / *scalarConstant(op->getOperand(1));
      return input ? std::optional(scaled(*input, factor)) : std::nullopt;
    }
    if (isa<SquareOp, PowOp>(op)) {
      int exponent = isa<SquareOp>(op) ? 2 : *smallExponent(cast<PowOp>(op));
      std::optional<Polynomial> base = operand(0);
      std::optional<Polynomial> p = base;
      for (int i = 1; p && i < exponent; ++i)
        p = multiply(*p, *base);
      return p;
    }
    std::optional<Polynomial> lhs = operand(0);
    std::optional<Polynomial> rhs = lhs ? operand(1) : std::nullopt;
    if (!rhs)
      return std::nullopt;
    if (isa<MulOp>(op))
      return multiply(*lhs, *rhs);
    return add(*lhs, *rhs, isa<SubOp>(op) ? -1.0 : 1.0);
  }

  SmallVector<Operation *> ops;
  int depth = 0;
};

/// `p` is `coefficient · x`, for some x; returns x.
Value linearIn(const Polynomial &p, double coefficient) {
  if (p.size() != 1 || p[0].factors.size() != 1 ||
      !near(p[0].coefficient, coefficient))
    return Value();
  return p[0].factors[0];
}

/// A factor of `term` computed by `OpTy`, and the term's other factor.
template <typename OpTy>
std::optional<std::pair<OpTy, Value>> splitFactor(const Monomial &term) {
  if (term.factors.size() != 2)
    return std::nullopt;
  for (int i = 0; i < 2; ++i)
    if (auto op = term.factors[i].getDefiningOp<OpTy>())
      return std::make_pair(op, term.factors[1 - i]);
  return std::nullopt;
}

/// The activation an expression computes, its input, and the ops it
/// replaces (those of the activation's own argument included).
struct RaisedActivation {
  Activation kind;
  Value input;
  SmallVector<Operation *> ops;
};

/// `x · sigmoid(x)`.
std::optional<RaisedActivation> matchSilu(const Polynomial &p) {
  if (p.size() != 1 || !near(p[0].coefficient, 1.0))
    return std::nullopt;
  auto split = splitFactor<SigmoidOp>(p[0]);
  if (!split || split->first.getInput() != split->second)
    return std::nullopt;
  return RaisedActivation{Activation::silu, split->second, {split->first}};
}

/// `x · sigmoid(1.702 x)` (CLIP's quick_gelu).
std::optional<RaisedActivation> matchQuickGelu(const Polynomial &p) {
  if (p.size() != 1 || !near(p[0].coefficient, 1.0))
    return std::nullopt;
  auto split = splitFactor<SigmoidOp>(p[0]);
  if (!split)
    return std::nullopt;
  SigmoidOp sigmoid = split->first;
  Expander argument;
  std::optional<Polynomial> a = argument.expand(sigmoid.getInput(), sigmoid);
  if (!a || linearIn(*a, kQuickGeluScale) != split->second)
    return std::nullopt;
  SmallVector<Operation *> ops(argument.expanded());
  ops.push_back(sigmoid);
  return RaisedActivation{Activation::quick_gelu, split->second, ops};
}

/// `x/2 + x/2 · f(a)`, with f erf and a = x/√2 (GELU), or f tanh and
/// a = √(2/π)·(x + 0.044715·x³) (its tanh approximation).
std::optional<RaisedActivation> matchGelu(const Polynomial &p) {
  if (p.size() != 2)
    return std::nullopt;
  for (int i = 0; i < 2; ++i) {
    Value x = linearIn({p[i]}, 0.5);
    const Monomial &gated = p[1 - i];
    if (!x || !near(gated.coefficient, 0.5) || gated.factors.size() != 2 ||
        !llvm::is_contained(gated.factors, x))
      continue;
    Value f = gated.factors[0] == x ? gated.factors[1] : gated.factors[0];
    Operation *fOp = f.getDefiningOp();
    if (!isa_and_nonnull<ErfOp, TanhOp>(fOp))
      continue;
    Expander argument;
    std::optional<Polynomial> a = argument.expand(fOp->getOperand(0), fOp);
    if (!a)
      continue;
    SmallVector<Operation *> ops(argument.expanded());
    ops.push_back(fOp);
    if (isa<ErfOp>(fOp) && linearIn(*a, M_SQRT1_2) == x)
      return RaisedActivation{Activation::gelu, x, ops};
    const double k = std::sqrt(2.0 / M_PI);
    SmallVector<Value, 4> cube = {x, x, x};
    auto termOf = [&](ArrayRef<Value> factors) -> const Monomial * {
      for (const Monomial &term : *a)
        if (ArrayRef<Value>(term.factors) == factors)
          return &term;
      return nullptr;
    };
    const Monomial *linear = termOf({x});
    const Monomial *cubic = termOf(cube);
    if (isa<TanhOp>(fOp) && a->size() == 2 && linear && cubic &&
        near(linear->coefficient, k) && near(cubic->coefficient, k * 0.044715))
      return RaisedActivation{Activation::gelu_tanh, x, ops};
  }
  return std::nullopt;
}

Operation *createActivation(PatternRewriter &rewriter, Location loc,
                            Activation kind, Value input) {
  switch (kind) {
  case Activation::silu:
    return rewriter.create<SiluOp>(loc, input);
  case Activation::gelu:
    return rewriter.create<GeluOp>(loc, input);
  case Activation::gelu_tanh:
    return rewriter.create<GeluTanhOp>(loc, input);
  case Activation::quick_gelu:
    return rewriter.create<QuickGeluOp>(loc, input);
  default:
    llvm_unreachable("the pass raises silu, gelu, gelu_tanh and quick_gelu");
  }
}

/// Rooted at the outermost op of the expression: a mul, add, sub or div.
struct RaiseActivationPattern : RewritePattern {
  RaiseActivationPattern(MLIRContext *context)
      : RewritePattern(MatchAnyOpTypeTag(), /*benefit=*/1, context) {}
  LogicalResult matchAndRewrite(Operation *root,
                                PatternRewriter &rewriter) const override {
    if (!isa<MulOp, AddOp, SubOp, DivOp>(root))
      return failure();
    Expander expander;
    std::optional<Polynomial> p = expander.expand(root->getResult(0));
    if (!p)
      return failure();
    std::optional<RaisedActivation> raised = matchSilu(*p);
    if (!raised)
      raised = matchQuickGelu(*p);
    if (!raised)
      raised = matchGelu(*p);
    Type type = root->getResult(0).getType();
    if (!raised || raised->input.getType() != type)
      return rewriter.notifyMatchFailure(root, "no activation");
    SmallVector<Operation *> ops(expander.expanded());
    llvm::append_range(ops, raised->ops);
    // A sigmoid, erf or tanh that also feeds something else would stay.
    llvm::SmallPtrSet<Operation *, 16> replaced(ops.begin(), ops.end());
    for (Operation *op : raised->ops)
      if (llvm::any_of(op->getUsers(),
                       [&](Operation *user) { return !replaced.count(user); }))
        return rewriter.notifyMatchFailure(root, "an op has other users");
    Operation *activation =
        createActivation(rewriter, fusedLoc(ops), raised->kind, raised->input);
    rewriter.replaceOp(root, activation->getResults());
    return success();
  }
};

/// x when `value` is -x: `neg(x)`, `x * -1` or `0 - x`, used once.
Value negated(Value value) {
  Operation *op = value.getDefiningOp();
  if (!op || !value.hasOneUse())
    return Value();
  if (auto neg = dyn_cast<NegOp>(op))
    return neg.getInput();
  if (auto sub = dyn_cast<SubOp>(op);
      sub && scalarConstant(sub.getLhs()) == 0.0)
    return sub.getRhs();
  if (isa<MulOp>(op))
    for (int side = 0; side < 2; ++side)
      if (scalarConstant(op->getOperand(1 - side)) == -1.0)
        return op->getOperand(side);
  return Value();
}

/// `y / (1 + exp(-x))` → `sigmoid(x)` when y is 1, else `y * sigmoid(x)`.
struct RaiseSigmoid : OpRewritePattern<DivOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(DivOp div,
                                PatternRewriter &rewriter) const override {
    auto add = div.getRhs().getDefiningOp<AddOp>();
    if (!add || !div.getRhs().hasOneUse())
      return rewriter.notifyMatchFailure(div, "not y / (1 + e)");
    Value x;
    SmallVector<Operation *> ops = {add};
    for (int side = 0; side < 2 && !x; ++side) {
      auto exp = add->getOperand(side).getDefiningOp<ExpOp>();
      if (!exp || !exp->hasOneUse() ||
          scalarConstant(add->getOperand(1 - side)) != 1.0)
        continue;
      x = negated(exp.getInput());
      if (x)
        ops.append({exp.getInput().getDefiningOp(), exp});
    }
    Type type = div.getType();
    if (!x || x.getType() != type)
      return rewriter.notifyMatchFailure(div, "not 1 + exp(-x) of x's type");
    bool one = scalarConstant(div.getLhs()) == 1.0;
    if (!one && div.getLhs().getType() != type)
      return rewriter.notifyMatchFailure(div, "the division broadcasts");
    // The division is the sigmoid only when it divides 1; else it is the
    // product's node.
    if (one)
      ops.push_back(div);
    Value sigmoid = rewriter.create<SigmoidOp>(fusedLoc(ops), x);
    if (one)
      rewriter.replaceOp(div, sigmoid);
    else
      rewriter.replaceOpWithNewOp<MulOp>(div, type, div.getLhs(), sigmoid);
    return success();
  }
};

/// `maximum(x, 0)` → `relu(x)`: both give NaN for NaN, as torch does.
struct RaiseRelu : OpRewritePattern<MaximumOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(MaximumOp maximum,
                                PatternRewriter &rewriter) const override {
    for (int side = 0; side < 2; ++side) {
      Value x = maximum->getOperand(side);
      if (scalarConstant(maximum->getOperand(1 - side)) == 0.0 &&
          x.getType() == maximum.getType()) {
        rewriter.replaceOpWithNewOp<ReluOp>(maximum, x);
        return success();
      }
    }
    return rewriter.notifyMatchFailure(maximum, "not maximum(x, 0)");
  }
};

struct RaiseActivationsPass
    : kiln::impl::RaiseActivationsBase<RaiseActivationsPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<RaiseActivationPattern, RaiseSigmoid, RaiseRelu>(
        &getContext());
    if (failed(
            applyPatternsAndFoldGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
