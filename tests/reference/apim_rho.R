# Reference values for tests/test_dyadic.py::test_partial_icc_test_matches_nlme: the likelihood-
# ratio test of the partial ICC (rho = 0) of an APIM, as anova() of two nlme::gls fits with the
# same fixed effects (REML): with corCompSymm(~1 | dyad) and without a correlation structure
# (varIdent kept for the distinguishable model). Data: the simulated fixtures of apim.R
# (apim_negative_data.csv, apim_incomplete_data.csv), paired as in apim.R.
#   cd tests/reference && R CMD BATCH --no-save --no-restore apim_rho.R
suppressPackageStartupMessages(library(nlme))
ctrl <- glsControl(tolerance = 1e-10, msTol = 1e-10, msMaxIter = 500, maxIter = 500)
source("apim_pairwise.R")
rows <- list()
lrt <- function(name, with_rho, without) {
  a <- anova(without, with_rho)
  rows[[name]] <<- data.frame(model = name, loglik_rho = as.numeric(logLik(with_rho)),
                              loglik_0 = as.numeric(logLik(without)), statistic = a$L.Ratio[2],
                              df = a$df[2] - a$df[1], p_value = a$"p-value"[2])
}
neg <- read.csv("apim_negative_data.csv")
negp <- pairwise(neg, "dyad", "person")
f1 <- gls(y_A ~ x_A + x_P, data = negp, correlation = corCompSymm(form = ~1 | dyad), method = "REML", control = ctrl)
f0 <- gls(y_A ~ x_A + x_P, data = negp, method = "REML", control = ctrl)
lrt("negative_indist_REML", f1, f0)
inc <- read.csv("apim_incomplete_data.csv")
incp <- pairwise(inc, "dyad", "role")
incp <- incp[!is.na(incp$y_A) & !is.na(incp$x_A) & !is.na(incp$x_P), ]
incp$role <- factor(incp$role, levels = c("man", "woman"))
incp$man <- as.numeric(incp$role == "man"); incp$woman <- as.numeric(incp$role == "woman")
form <- y_A ~ 0 + man + woman + man:x_A + woman:x_A + man:x_P + woman:x_P
d1 <- gls(form, data = incp, correlation = corCompSymm(form = ~1 | dyad), weights = varIdent(form = ~1 | role),
          method = "REML", control = ctrl)
d0 <- gls(form, data = incp, weights = varIdent(form = ~1 | role), method = "REML", control = ctrl)
lrt("incomplete_twoint_REML", d1, d0)
out <- do.call(rbind, rows)
print(out, digits = 12)
write.csv(out, "apim_rho.csv", row.names = FALSE)
