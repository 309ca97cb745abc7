package eval

import (
	"errors"
	"math"
	"sort"
)

// AUROC returns the area under the ROC curve of telling positives from
// negatives by score (higher means more likely positive): the probability
// that a random positive scores above a random negative, counting ties as
// one half. It is the Mann–Whitney U statistic divided by the number of
// pairs, computed from midranks in O(n log n). NaN scores are an error.
func AUROC(negatives, positives []float64) (float64, error) {
	if len(negatives) == 0 || len(positives) == 0 {
		return 0, errors.New("AUROC needs at least one negative and one positive score")
	}
	type scored struct {
		score    float64
		positive bool
	}
	all := make([]scored, 0, len(negatives)+len(positives))
	for _, s := range negatives {
		all = append(all, scored{s, false})
	}
	for _, s := range positives {
		all = append(all, scored{s, true})
	}
	for _, s := range all {
		if math.IsNaN(s.score) {
			return 0, errors.New("AUROC: a score is NaN")
		}
	}
	sort.Slice(all, func(i, j int) bool { return all[i].score < all[j].score })
	// Sum the positives' ranks (1-based), giving each run of tied scores
	// the mean of the ranks it spans.
	var rankSum float64
	for i := 0; i < len(all); {
		j := i
		for j < len(all) && all[j].score == all[i].score {
			j++
		}
		midrank := float64(i+1+j) / 2 // mean of ranks i+1 … j
		for k := i; k < j; k++ {
			if all[k].positive {
				rankSum += midrank
			}
		}
		i = j
	}
	np, nn := float64(len(positives)), float64(len(negatives))
	u := rankSum - np*(np+1)/2
	return u / (np * nn), nil
}
