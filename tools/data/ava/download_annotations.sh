#!/usr/bin/env bash
# Downloads the AVA v2.2 and AVA-Kinetics v1.0 annotations and the FAIR
# person detections for AVA (docs/detection_ava.md, "Annotations").
#   bash tools/data/ava/download_annotations.sh [DATA_ROOT=data]
set -euo pipefail
DATA_ROOT=${1:-data}
AVA_ANN="${DATA_ROOT}/ava/annotations"
AK_ANN="${DATA_ROOT}/ava_kinetics/annotations"
mkdir -p "${AVA_ANN}" "${AK_ANN}"

# AVA v2.2: ava_{train,val}_v2.2.csv, excluded timestamps, label maps
wget -c https://research.google.com/ava/download/ava_v2.2.zip -P "${AVA_ANN}"
unzip -o -j "${AVA_ANN}/ava_v2.2.zip" -d "${AVA_ANN}"
# AVA movie ids (the exact AVA / Kinetics split of a mixed csv)
wget -c https://s3.amazonaws.com/ava-dataset/annotations/ava_file_names_trainval_v2.1.txt -P "${AVA_ANN}"

# Person detections of Long-Term Feature Banks (recall 93.9), keyed
# "<video_id>,<timestamp:04d>", boxes x1,y1,x2,y2,score normalised
for split in train val test; do
  wget -c "https://download.openmmlab.com/mmaction/dataset/ava/ava_dense_proposals_${split}.FAIR.recall_93.9.pkl" -P "${AVA_ANN}"
done

# AVA-Kinetics v1.0: kinetics_{train,val,test}_v1.0.csv (+ a copy of AVA v2.2)
wget -c https://storage.googleapis.com/deepmind-media/Datasets/ava_kinetics_v1_0.tar.gz -P "${AK_ANN}"
tar -xzf "${AK_ANN}/ava_kinetics_v1_0.tar.gz" -C "${AK_ANN}" --strip-components=1
