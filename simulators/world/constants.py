"""Fixed vocabulary of the synthetic company (see shared/domain.md §1, §3)."""

from __future__ import annotations

# Regions with their share of the sales force, two-letter code used in contract numbers,
# and the provinces their customers sit in.
REGIONS: list[tuple[str, str, float, list[str]]] = [
    ("华东", "HD", 0.26, ["上海", "江苏", "浙江", "安徽", "山东", "福建"]),
    ("华北", "HB", 0.20, ["北京", "天津", "河北", "山西", "内蒙古"]),
    ("华南", "HN", 0.16, ["广东", "广西", "海南"]),
    ("华中", "HZ", 0.12, ["湖北", "湖南", "河南", "江西"]),
    ("西南", "XN", 0.10, ["四川", "重庆", "云南", "贵州"]),
    ("西北", "XB", 0.08, ["陕西", "甘肃", "宁夏", "新疆", "青海"]),
    ("东北", "DB", 0.08, ["辽宁", "吉林", "黑龙江"]),
]
REGION_NAMES = [r[0] for r in REGIONS]
REGION_CODE = {r[0]: r[1] for r in REGIONS}

CITY_OF_PROVINCE = {
    "上海": "上海",
    "江苏": "南京",
    "浙江": "杭州",
    "安徽": "合肥",
    "山东": "济南",
    "福建": "福州",
    "北京": "北京",
    "天津": "天津",
    "河北": "石家庄",
    "山西": "太原",
    "内蒙古": "呼和浩特",
    "广东": "广州",
    "广西": "南宁",
    "海南": "海口",
    "湖北": "武汉",
    "湖南": "长沙",
    "河南": "郑州",
    "江西": "南昌",
    "四川": "成都",
    "重庆": "重庆",
    "云南": "昆明",
    "贵州": "贵阳",
    "陕西": "西安",
    "甘肃": "兰州",
    "宁夏": "银川",
    "新疆": "乌鲁木齐",
    "青海": "西宁",
    "辽宁": "沈阳",
    "吉林": "长春",
    "黑龙江": "哈尔滨",
}

# Customer types: (CRM Account_Type, share, usual invoice type special/ordinary share)
CUSTOMER_TYPES: list[tuple[str, float, float]] = [
    ("高校", 0.34, 0.15),
    ("医院", 0.22, 0.30),
    ("科研院所", 0.18, 0.25),
    ("制药企业", 0.16, 0.95),
    ("CRO", 0.10, 0.95),
]
GRADES = ["TOP", "S", "A", "B", "C"]
GRADE_WEIGHTS = [0.02, 0.08, 0.20, 0.35, 0.35]
# How much more a customer of each grade buys than a C customer.
GRADE_ACTIVITY = {"TOP": 12.0, "S": 6.0, "A": 3.0, "B": 1.5, "C": 1.0}

# Opportunity stages: (name, probability %, order). Won/lost/expired are terminal.
OPEN_STAGES = [("潜在", 10), ("意向", 30), ("选型", 50), ("谈判", 80)]
STAGE_WON = ("成交", 100)
STAGE_LOST = ("输单", 0)
STAGE_EXPIRED = ("失效", 0)
STAGE_PROBABILITY = dict([*OPEN_STAGES, STAGE_WON, STAGE_LOST, STAGE_EXPIRED])
STAGE_ORDER = {name: i for i, (name, _p) in enumerate([*OPEN_STAGES, STAGE_WON])}

BUSINESS_TYPES = ["小鼠类", "服务类"]  # mouse models / services

LEAD_SOURCES = ["市场活动", "官网咨询", "老客户推荐", "电话营销", "学术会议", "自主开发"]
LOSS_REASONS = ["价格", "竞争对手", "项目取消", "预算不足", "交期", "技术不满足"]

CAMPAIGN_TYPES = ["学术会议", "技术研讨会", "展会", "线上直播", "客户培训"]

CONTRACT_TYPES = [("标准", 0.60), ("非标", 0.25), ("预付款", 0.15)]
PAYMENT_TERMS_DAYS = [(30, 0.45), (60, 0.30), (90, 0.20), (180, 0.05)]

COMPANY_NAME = "江苏中台生物科技有限公司"
COMPANY_SHORT = "中台生物"
SALE_ORG = COMPANY_NAME

# Company bank accounts (our side of the statements).
BANK_ACCOUNTS = [
    ("招商银行南京分行营业部", "125905112310901", "xlsx"),
    ("中国工商银行南京江北新区支行", "4301015209100123456", "csv"),
]

SURNAMES = list(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN_CHARS = list(
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红娥玲芬燕彬鹏辉建波宁欣怡晨阳浩然子轩梓涵雨萱思远博文嘉豪晓东海峰志强丹凤琳璐雪"
)

UNIVERSITY_PREFIX = ["大学", "医科大学", "师范大学", "理工大学", "中医药大学", "农业大学"]
HOSPITAL_SUFFIX = ["人民医院", "第一人民医院", "中医院", "肿瘤医院", "儿童医院", "附属医院"]
INSTITUTE_SUFFIX = ["生命科学研究所", "药物研究所", "医学研究院", "生物医药研究院", "实验动物中心"]
COMPANY_WORDS = [
    "康",
    "泰",
    "华",
    "瑞",
    "恒",
    "博",
    "信",
    "达",
    "君",
    "德",
    "和",
    "安",
    "润",
    "健",
    "诺",
    "明",
    "益",
    "方",
    "元",
    "正",
    "宏",
    "新",
    "科",
    "创",
    "生",
    "源",
    "盛",
]
PHARMA_SUFFIX = ["药业股份有限公司", "生物制药有限公司", "医药科技有限公司", "生物技术有限公司"]
CRO_SUFFIX = ["医药研发服务有限公司", "生物医药科技有限公司", "药物研究有限公司"]

# Mouse strains and service catalogue (ERP materials).
STRAINS = [
    "C57BL/6J",
    "BALB/c",
    "NOD-SCID",
    "NSG",
    "B-NDG",
    "ICR",
    "KM",
    "DBA/2",
    "FVB/N",
    "129S",
    "BALB/c nude",
    "SD",
    "hPD-1人源化",
    "hPD-L1人源化",
    "hCTLA-4人源化",
    "APP/PS1",
    "db/db",
    "ob/ob",
    "ApoE KO",
    "LDLR KO",
    "Rag2 KO",
    "IL2rg KO",
]
MOUSE_SPECS = ["4-6周 雄", "4-6周 雌", "6-8周 雄", "6-8周 雌", "8-10周 雄", "8-10周 雌"]
SERVICES = [
    ("模型定制", "基因敲除小鼠定制", "项"),
    ("模型定制", "基因敲入小鼠定制", "项"),
    ("模型定制", "条件性敲除小鼠定制", "项"),
    ("模型定制", "人源化小鼠定制", "项"),
    ("定制繁育", "小鼠扩繁服务", "批"),
    ("定制繁育", "小鼠净化服务", "批"),
    ("定制繁育", "冻存复苏服务", "项"),
    ("功能药效分析", "肿瘤药效评价", "项"),
    ("功能药效分析", "代谢疾病药效评价", "项"),
    ("功能药效分析", "神经疾病药效评价", "项"),
    ("功能药效分析", "免疫表型分析", "项"),
    ("功能药效分析", "病理分析", "项"),
]
