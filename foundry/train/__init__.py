"""Phase 4: LoRA adapters per engine on top of a (tiny demo or pinned Hub) base model.

Modules: ``base`` (build/fetch base models), ``data`` (read splits), ``common`` (device, seeds,
loop, sizes), ``metrics``, one module per task (``text_cls``, ``audio_cls``, ``stt``, ``mlm``),
``result`` (what a task returns), ``run`` (the rules' entry points) and ``infer`` (the inference
API that deployment builds on).
"""
