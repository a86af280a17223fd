"""The gradient-norm sums a `GradientNormMonitor` keeps, updated inside the step.

`measure` runs inside the traced train function (through the optimizer tap of
`keras_seqfix._backend.gradient_tap`): it computes the global and per-layer
norms of a step's gradients (and, optionally, the update-to-weight ratio) and
adds them to a few variables that belong to the monitor, never to the model.
On JAX the values reach the host with `jax.debug.callback` instead. The
callback reads the sums back at batch and epoch ends.
"""

import keras
import numpy as np


class NormSums:
    """Running sums of per-step gradient norms, per layer of `model`."""

    def __init__(self, model, *, update_ratio):
        from keras_seqfix._backend.gradient_tap import state_scope
        from keras_seqfix._backend.gradients import layer_of_variable

        owners = layer_of_variable(model)
        names = [owners[id(v)] for v in model.trainable_variables]
        self.layer_names = list(dict.fromkeys(names))
        self._index = {
            key: self.layer_names.index(name) for key, name in owners.items()
        }
        self.update_ratio = update_ratio
        self._host = self._zeros()
        with state_scope(model):  # mirrored under tf.distribute, like the model
            self._vars = {
                name: keras.Variable(
                    value,
                    trainable=False,
                    aggregation="only_first_replica",
                    name=f"ksf_gradient_{name}",
                )
                for name, value in self._zeros().items()
            }

    def _zeros(self):
        k = len(self.layer_names)
        return {
            "last": np.zeros(k + 1, "float32"),
            "total": np.zeros(k + 1, "float32"),
            "count": np.zeros((), "float32"),
            "bad": np.zeros((), "float32"),
            "peak": np.zeros((), "float32"),
            "ratio_last": np.zeros(k, "float32"),
            "ratio_total": np.zeros(k, "float32"),
        }

    def reset(self):
        """Start a new epoch's sums."""
        self._host = self._zeros()
        for name, value in self._zeros().items():
            self._vars[name].assign(value)

    def read(self):
        """The sums as NumPy values: `last`, `total`, `count`, `bad`, `peak`..."""
        if keras.backend.backend() == "jax":
            return self._host
        from keras_seqfix._backend.state import variable_to_numpy

        return {k: variable_to_numpy(v) for k, v in self._vars.items()}

    def measure(self, grads, variables, loss_scale, apply, values=None):
        """Add one step's norms to the sums; run and return the update `apply()`."""
        from keras_seqfix._backend.gradient_tap import squared_norm

        ops = keras.ops
        per_layer = [[] for _ in self.layer_names]
        for grad, variable in zip(grads, variables, strict=False):
            index = self._index.get(id(variable), self._index.get(variable.path))
            if grad is not None and index is not None:
                per_layer[index].append(squared_norm(grad))
        zero = ops.zeros((), "float32")
        layer_sq = ops.stack([ops.sum(ops.stack(s)) if s else zero for s in per_layer])
        if loss_scale is not None:
            layer_sq = layer_sq / ops.square(ops.cast(loss_scale, "float32"))
        norms = ops.sqrt(ops.concatenate([ops.sum(layer_sq)[None], layer_sq]))
        ratios = None
        if self.update_ratio:
            # JAX's stateless step passes the weights as `values` and returns
            # the new ones; elsewhere the variables are updated in place.
            if values is None:
                before = [ops.copy(v.value) for v in variables]
            else:
                before = list(values)
        result = apply()
        if self.update_ratio:
            after = [v.value for v in variables] if values is None else result[0]
            ratios = self._ratios(variables, before, after)
        self._record(norms, ratios)
        return result

    def _ratios(self, variables, before, after):
        ops = keras.ops
        delta = [[] for _ in self.layer_names]
        weight = [[] for _ in self.layer_names]
        for variable, old, new in zip(variables, before, after, strict=True):
            index = self._index.get(id(variable), self._index.get(variable.path))
            if index is None:
                continue
            old = ops.cast(old, "float32")
            new = ops.cast(new, "float32")
            delta[index].append(ops.sum(ops.square(new - old)))
            weight[index].append(ops.sum(ops.square(old)))
        zero = ops.zeros((), "float32")
        d = ops.stack([ops.sum(ops.stack(s)) if s else zero for s in delta])
        w = ops.stack([ops.sum(ops.stack(s)) if s else zero for s in weight])
        return ops.sqrt(d) / (ops.sqrt(w) + 1e-12)

    def _record(self, norms, ratios):
        if keras.backend.backend() == "jax":
            import jax

            jax.debug.callback(self._host_record, norms, ratios)
            return
        ops = keras.ops
        v = self._vars
        finite = ops.all(ops.isfinite(norms))
        ok = ops.cast(finite, "float32")
        v["last"].assign(norms)
        v["total"].assign_add(ops.where(finite, norms, ops.zeros_like(norms)))
        v["count"].assign_add(ok)
        v["bad"].assign_add(1.0 - ok)
        v["peak"].assign(ops.maximum(v["peak"], ops.where(finite, norms[0], 0.0)))
        if ratios is not None:
            v["ratio_last"].assign(ratios)
            v["ratio_total"].assign_add(
                ops.where(finite, ratios, ops.zeros_like(ratios))
            )

    def _host_record(self, norms, ratios):
        # JAX: `jax.debug.callback` delivers the values to the host from `jit`.
        norms = np.asarray(norms, dtype="float32")
        finite = bool(np.all(np.isfinite(norms)))
        h = self._host
        h["last"] = norms
        h["total"] = h["total"] + (norms if finite else 0.0)
        h["count"] += float(finite)
        h["bad"] += float(not finite)
        h["peak"] = max(h["peak"], float(norms[0]) if finite else 0.0)
        if ratios is not None:
            ratios = np.asarray(ratios, dtype="float32")
            h["ratio_last"] = ratios
            h["ratio_total"] = h["ratio_total"] + (ratios if finite else 0.0)
