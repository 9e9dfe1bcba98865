"""Personal data (NIK, No. KK, NPWP, BPJS, mobile numbers, e-mail, bank accounts) in pages and documents.

Modules: `detectors` (pure structural validators), `regions` (bundled Kemendagri codes), `extract` /
`office` / `tables` (bounded text extraction per format), `evidence` (grouping, masking, severity),
`check` (the check itself), `synth` (generated labelled data for tests and benchmarks).
"""

from checks.personal_data.check import PersonalDataCheck, PersonalDataConfig

__all__ = ["PersonalDataCheck", "PersonalDataConfig"]
