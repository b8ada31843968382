"""The forecast model's scoring as an ONNX graph (built with the ``onnx`` helper).

Inputs: ``features`` (n x k, float64), ``correction`` (n, float64: the level state),
``bucket`` (n, int64: the horizon bucket). Outputs ``median``, ``lower``, ``upper`` (n):
exp(X·w + c), exp(X·w + c + q_lo[bucket]), exp(X·w + c + q_hi[bucket]) — exactly
``ForecastModel.score``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from chalicelib.forecasting.model import ForecastModel


def export(model: ForecastModel, path: Path) -> None:
    k = len(model.weights)
    weights = numpy_helper.from_array(model.weights.reshape(k, 1).astype(np.float64), "weights")
    q_lo = numpy_helper.from_array(model.quantiles[:, 0].astype(np.float64), "q_lo")
    q_hi = numpy_helper.from_array(model.quantiles[:, 1].astype(np.float64), "q_hi")
    flat = numpy_helper.from_array(np.asarray([-1], dtype=np.int64), "flat")
    nodes = [
        helper.make_node("MatMul", ["features", "weights"], ["xw_col"]),
        helper.make_node("Reshape", ["xw_col", "flat"], ["xw"]),
        helper.make_node("Add", ["xw", "correction"], ["log_mid"]),
        helper.make_node("Exp", ["log_mid"], ["median"]),
        helper.make_node("Gather", ["q_lo", "bucket"], ["lo_off"], axis=0),
        helper.make_node("Gather", ["q_hi", "bucket"], ["hi_off"], axis=0),
        helper.make_node("Add", ["log_mid", "lo_off"], ["log_lo"]),
        helper.make_node("Add", ["log_mid", "hi_off"], ["log_hi"]),
        helper.make_node("Exp", ["log_lo"], ["lower"]),
        helper.make_node("Exp", ["log_hi"], ["upper"]),
    ]
    graph = helper.make_graph(
        nodes,
        "bazaar_forecast",
        [
            helper.make_tensor_value_info("features", TensorProto.DOUBLE, ["n", k]),
            helper.make_tensor_value_info("correction", TensorProto.DOUBLE, ["n"]),
            helper.make_tensor_value_info("bucket", TensorProto.INT64, ["n"]),
        ],
        [
            helper.make_tensor_value_info(name, TensorProto.DOUBLE, ["n"])
            for name in ("median", "lower", "upper")
        ],
        initializer=[weights, q_lo, q_hi, flat],
    )
    onnx_model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="bazaar-ml-forecast"
    )
    onnx_model.ir_version = 9  # onnxruntime 1.32 reads IR ≤ 10
    onnx.checker.check_model(onnx_model)
    path.write_bytes(onnx_model.SerializeToString())
