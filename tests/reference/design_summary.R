# Reference values for tests/test_design_roles.py (R_WEIGHTS): design_summary's weight quantities on the two
# GSS files with the weights their codebooks declare (GSS 1972-2006: wtssall; the panel: wtpannr123, rows with
# a weight). Printed, not written: n, sum(w), min, max, CV (population sd / mean), Kish's design effect
# n sum(w^2) / sum(w)^2 and the effective sample size sum(w)^2 / sum(w^2).
#   cd tests/reference && R CMD BATCH --no-save --no-restore design_summary.R
options(digits = 17)
g <- read.csv("../../../shared/data/gss_happy_1972_2006/data.csv", na.strings = "")
p <- read.csv("../../../shared/data/gss_panel_2006_2014/data.csv", na.strings = "")
p <- p[!is.na(p$wtpannr123), ]
for (w in list(g$wtssall, p$wtpannr123)) {
  n <- length(w)
  cat(sprintf("%.17g", c(n, sum(w), min(w), max(w), sqrt(mean((w - mean(w))^2)) / mean(w), n * sum(w^2) / sum(w)^2, sum(w)^2 / sum(w^2))), "\n")
}
