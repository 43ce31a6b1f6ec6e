"""Builders of the synthetic demo datasets: shared material and writers (``common``), the speech
datasets (``speech``) and the text datasets (``text``); ``demo/make_demo.py`` runs them."""
