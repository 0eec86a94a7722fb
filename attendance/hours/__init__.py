"""The hours engine: realised time per trainee and slot, its classes, the database
aggregation, the contract checks (R1–R4, R7, R10) and the compliance view per BDC and month.

Later work reads hours from here, never from the sign-ins directly:

* ``aggregate.realised_hours`` / ``trainee_month_hours`` / ``hours_to_date``: minutes per
  trainee, composante, class and month (corrections applied, R12);
* ``caps.cap_checks``: each check with its status (ok / warning / exceeded) and figures;
* ``caps.billable_month_hours``: realised and billable minutes per trainee, composante and
  class for one month (R3 excess and company hours not billable);
* ``compliance.compliance_view``: what billing staff check before closing a month.
"""
