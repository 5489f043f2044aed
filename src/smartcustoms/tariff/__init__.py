"""Tariff classification: ranked HS suggestions with evidence, verification of declared
codes, precedents that teach the model, versions an analyst compares and activates."""

from smartcustoms.tariff.classifier import (
    Classifier,
    PathStep,
    PrecedentRef,
    Suggestion,
    Verification,
    declared_subheading,
)
from smartcustoms.tariff.corpus import Precedent
from smartcustoms.tariff.model import Config, TariffModel
from smartcustoms.tariff.service import (
    Classifiers,
    ItemCheck,
    ModelVersion,
    NoTariffModel,
    PrecedentIn,
    PrecedentReport,
    accept_suggestion,
    activate_model,
    add_precedents,
    check_declaration,
    declaration_checks,
    list_models,
    store_model,
    suggest,
    train_model,
    verify,
)

__all__ = [
    "Classifier",
    "Classifiers",
    "Config",
    "ItemCheck",
    "ModelVersion",
    "NoTariffModel",
    "PathStep",
    "Precedent",
    "PrecedentIn",
    "PrecedentRef",
    "PrecedentReport",
    "Suggestion",
    "TariffModel",
    "Verification",
    "accept_suggestion",
    "activate_model",
    "add_precedents",
    "check_declaration",
    "declaration_checks",
    "declared_subheading",
    "list_models",
    "store_model",
    "suggest",
    "train_model",
    "verify",
]
